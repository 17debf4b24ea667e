import Foundation
import NIOHTTP1

/// Vapi's List Calls and recordings. `GET /call?limit=&createdAtGt|Lt|Ge|Le=`
/// answers a bare array, newest first, at most `limit` (1–1000), with no
/// cursor; sample calls share `createdAt` in threes, so pages end inside ties.
/// `/call/{id}/mono-recording` and `/stereo-recording` answer a redirect to a
/// signed storage URL, issued fresh on each request.
extension SimulatorCore {
    func vapiList(_ query: [URLQueryItem]) -> (Answer, delay: Duration) {
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        guard let limit = Int(value("limit") ?? "100"), (1...1000).contains(limit) else {
            return (Self.error(.vapi, .badRequest, "limit must not be greater than 1000"), configuration.latency)
        }
        var bounds: [(String, (Int, Int) -> Bool)] = []
        for (name, test) in [("createdAtGt", { (a: Int, b: Int) in a > b }), ("createdAtLt", { $0 < $1 }),
                             ("createdAtGe", { $0 >= $1 }), ("createdAtLe", { $0 <= $1 })] {
            guard let text = value(name) else { continue }
            guard let time = Self.parseDate(text) else {
                return (Self.error(.vapi, .badRequest, "\(name) must be a valid ISO 8601 date string"), configuration.latency)
            }
            bounds.append((name, { created, _ in test(created, time) }))
        }
        var matching = listable(.vapi).filter { call in bounds.allSatisfy { $0.1(call.created, 0) } }
        // Scripted and counted by page, `list:vapi:3` being the third: the calls newer than the
        // page's upper bound, in pages, rounded (a page that starts inside a tie overlaps the last).
        let le = value("createdAtLe").flatMap(Self.parseDate)
        let newer = le.map { bound in listable(.vapi).filter { $0.created > bound }.count } ?? 0
        let page = Int((Double(newer) / Double(limit)).rounded()) + 1
        if let fault = listFault(.vapi, page: String(page)) { return faultAnswer(fault, vendor: .vapi, body: { nil }) }
        // A vendor whose paging loops: this page is the first one again.
        if page == configuration.listingLoopAfterPage { matching = listable(.vapi) }
        let calls = matching.prefix(limit)
        let links = links()
        let items: [JSONText] = calls.compactMap { call in CallFactory.callObject(.vapi, id: call.id, links: links) }
        return (Self.json(.ok, JSONText.array(items).text), configuration.latency)
    }

    /// `/vapi/call/{id}/mono-recording` → (the ID, false); `…/stereo-recording` → (the ID, true).
    func vapiRecordingRoute(_ path: String) -> (String, Bool)? {
        let prefix = SimulatedVendor.vapi.basePath + "/call/"
        for (suffix, stereo) in [("/mono-recording", false), ("/stereo-recording", true)] {
            if let id = Self.callID(in: path, between: prefix, and: suffix) { return (id, stereo) }
        }
        return nil
    }

    func vapiRecordingAnswer(id: String, stereo: Bool) -> (Answer, delay: Duration) {
        if let fault = recordingFault(.vapi, id: id) { return recordingFaultAnswer(fault, vendor: .vapi, id: id) }
        guard CallFactory.hasRecording(.vapi, id: id) else {
            return (Self.error(.vapi, .notFound, "Recording not found"), configuration.latency)
        }
        let target = links().signedStorageURL(.vapi, id: stereo ? id + "-stereo" : id)
        return (.respond(status: .found, headers: [("Location", target)], body: ""), configuration.latency)
    }
}
