import Foundation
import NIOHTTP1

/// PureTalk's List Calls: `page` and `limit`, one `status` filter, the next page linked as a full URL.
extension SimulatorCore {
    func pureTalkList(_ query: [URLQueryItem]) -> (Answer, delay: Duration) {
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        guard let page = Int(value("page") ?? "1"), page >= 1, let limit = Int(value("limit") ?? "20"), limit >= 1 else {
            return (Self.error(.puretalk, .notFound, "Invalid page."), configuration.latency)
        }
        if let fault = listFault(.puretalk, page: String(page)) { return faultAnswer(fault, vendor: .puretalk, body: { nil }) }
        let size = min(limit, 100)
        let status = value("status")
        let calls = listable(.puretalk).filter { status == nil || $0.status == status }
        let first = (page - 1) * size
        guard first < calls.count || page == 1 else { return (Self.error(.puretalk, .notFound, "Invalid page."), configuration.latency) }
        let pageCalls = calls[min(first, calls.count)..<min(first + size, calls.count)]
        let base = links().pureTalkAPIBase + "/calls"
        func url(_ page: Int) -> JSONText {
            .string("\(base)?page=\(page)&limit=\(size)" + (status.map { "&status=\($0)" } ?? ""))
        }
        var next: JSONText = first + size < calls.count ? url(page + 1) : .null
        if page == configuration.listingLoopAfterPage { next = url(max(1, page - 1)) }
        let links = links()
        let body = JSONText.object([
            ("count", .int(calls.count)),
            ("next", next),
            ("previous", page > 1 ? url(page - 1) : .null),
            ("results", .array(pageCalls.compactMap { CallFactory.callObject(.puretalk, id: $0.id, links: links) })),
        ])
        return (Self.json(.ok, body.text), configuration.latency)
    }
}
