import Foundation
import NIOHTTP1

/// One call as List Calls sees it.
struct ListedCall: Sendable {
    var id: String
    var start: Int
    var created: Int
    var status: String
}

/// List Calls over the simulator's call set (the sample IDs 1…`listedCalls`).
///
/// PureTalk: `?page=&limit=&status=`, `{count, next, previous, results: [call]}`
/// in ID order, which is not time order, as nothing documents one. PuppeteerAI:
/// `?from_date=&to_date=&status[]=&cursor=&limit=` (1–100),
/// `{calls: [summary], pagination: {cursor}}`, newest first.
extension SimulatorCore {
    func listAnswer(_ vendor: SimulatedVendor, query: [URLQueryItem], body: [UInt8]) -> (Answer, delay: Duration) {
        state.withLock { $0.listRequests += 1 }
        switch vendor {
        case .puretalk: return pureTalkList(query)
        case .puppeteer: return puppeteerList(query)
        case .retell: return retellList(body)
        case .vapi: return vapiList(query)
        }
    }

    func listable(_ vendor: SimulatedVendor) -> [ListedCall] {
        if let cached = state.withLock({ $0.listable[vendor] }) { return cached }
        var calls = vendor.sampleIDs(count: configuration.listedCalls).map { id in
            let summary = CallFactory.summary(vendor, id: id)
            return ListedCall(id: id, start: summary.start, created: summary.created,
                              status: CallFactory.statusText(vendor, summary.stage))
        }
        if vendor == .puppeteer { calls.sort { ($0.created, $0.id) > ($1.created, $1.id) } }
        if vendor == .retell { calls.sort { ($0.start, $0.id) > ($1.start, $1.id) } }
        if vendor == .vapi { calls.sort { ($0.created, $0.id) > ($1.created, $1.id) } }
        state.withLock { $0.listable[vendor] = calls }
        return calls
    }

    /// The key a List Calls page is counted and scripted under: `list:VENDOR:PAGE`.
    static func listKey(_ vendor: SimulatedVendor, page: String) -> String { "list:\(vendor.rawValue):\(page)" }

    func listFault(_ vendor: SimulatedVendor, page: String) -> Fault? {
        let key = Self.listKey(vendor, page: page)
        return state.withLock { nextFault(key: key, scriptKey: key, state: &$0) }
    }

}
