import ArchiveKit
import Foundation
import Hummingbird

/// Every page and its JSON twin: each handler reads through the query layer
/// the CLI uses (`CallList`, `CallSearch`, `StoredCall`, `CallStats`) and
/// hands the result to a page type that renders it.
struct ViewerRoutes: Sendable {
    let reader: any ViewerSource
    let recordings: RecordingResponder
    let pageSize: Int

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in try await listPage(request) }
        router.get("/api/calls") { request, _ in try await listJSON(request) }
        router.get("/calls/{provider}/{id}") { request, context in try await callPage(request, context) }
        router.get("/calls/{provider}/{id}/raw") { _, context in try await rawBody(context) }
        router.get("/api/calls/{provider}/{id}") { _, context in try await callJSON(context) }
        router.get("/search") { request, _ in try await searchPage(request) }
        router.get("/api/search") { request, _ in try await searchJSON(request) }
        router.get("/stats") { request, _ in try await statsPage(request) }
        router.get("/api/stats") { request, _ in try await statsJSON(request) }
        router.get("/recordings/{sha256}") { request, context in try await recording(request, context) }
        router.get("/assets/viewer.css") { _, _ in asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/viewer.js") { _, _ in asset(Assets.js, type: "text/javascript; charset=utf-8") }
    }

    // MARK: Calls

    /// One page of calls and the cursors on either side of it.
    private func page(_ query: ListQuery, columns: CallList.Columns) async throws -> (ResultSet, newer: CallList.Position?, older: CallList.Position?) {
        let filter = try query.filter()
        let cursor = try query.cursor()
        let limit = pageSize
        var result = try await reader.page(filter, from: cursor?.0, cursor?.1 ?? .after, limit: limit + 1, columns: columns)
        // One row more than a page says whether there is another page that way.
        let more = result.rows.count > limit
        if more {
            if cursor?.1 == .before { result.rows.removeFirst() } else { result.rows.removeLast() }
        }
        let newerExists = cursor?.1 == .before ? more : cursor != nil
        let olderExists = cursor?.1 == .before ? true : more
        return (result, newerExists ? result.position(result.rows.first) : nil, olderExists ? result.position(result.rows.last) : nil)
    }

    private func listPage(_ request: Request) async throws -> Response {
        let query = ListQuery(request.uri.query)
        let (calls, newer, older) = try await page(query, columns: .detailed)
        return Responses.html(CallListPage(query: query, calls: calls, newer: newer, older: older).html)
    }

    /// The keys of `archive list --format json`; the pages on either side in a `Link` header.
    private func listJSON(_ request: Request) async throws -> Response {
        let query = ListQuery(request.uri.query)
        let (calls, newer, older) = try await page(query, columns: .list)
        var response = Responses.jsonText(Self.json(calls))
        let links = [("prev", "before", newer), ("next", "after", older)].compactMap { rel, name, position in
            position.map { "<" + "/api/calls" + URLBuilder.query(query.filterItems + [(name, Cursor.encode($0))]) + ">; rel=\"\(rel)\"" }
        }
        if !links.isEmpty { response.headers[.link] = links.joined(separator: ", ") }
        return response
    }

    // MARK: One call

    private func stored(_ context: BasicRequestContext) async throws -> StoredCall {
        let providerName = context.parameters.get("provider") ?? ""
        let rawID = context.parameters.get("id") ?? ""
        let id = rawID.removingPercentEncoding ?? rawID
        guard let provider = Provider(rawValue: providerName) else {
            throw ViewerError.notFound("There is no vendor \(providerName.debugDescription); the archive knows \(Provider.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        guard let call = try await reader.storedCall(provider: provider, id: id) else {
            throw ViewerError.notFound("No \(provider.displayName) call \(id.debugDescription) is archived. Sync it first, or check the ID.")
        }
        return call
    }

    private func callPage(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let call = try await stored(context)
        let query = ListQuery(request.uri.query)
        let filter = try query.filter()
        let here = CallList.Position(startedAt: call.call.startedAt, provider: call.call.provider.rawValue, callID: call.call.callID)
        let previous = try await reader.page(filter, from: here, .before, limit: 1, columns: .list)
        let next = try await reader.page(filter, from: here, .after, limit: 1, columns: .list)
        return Responses.html(CallPage(stored: call, query: query, previous: previous.position(previous.rows.first),
                                       next: next.position(next.rows.first)).html)
    }

    /// The vendor's body byte for byte, as a download.
    private func rawBody(_ context: BasicRequestContext) async throws -> Response {
        let call = try await stored(context)
        var response = Responses.text(call.rawJSON, type: "application/json")
        let name = "\(call.call.provider.rawValue)-\(call.call.callID).json".map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? String($0) : "_" }.joined()
        response.headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        return response
    }

    /// The keys of `archive show --json`.
    private func callJSON(_ context: BasicRequestContext) async throws -> Response {
        Responses.json(CallPresenter.json(try await stored(context)))
    }

    // MARK: Search

    private struct Search: Sendable {
        var text: String
        var literal: Bool
        var filter: CallFilter
    }

    private func search(_ request: Request) throws -> (ListQuery, Search) {
        let query = ListQuery(request.uri.query)
        return (query, Search(text: query.value("q") ?? "", literal: query.flag("literal"), filter: try query.filter()))
    }

    private func searchPage(_ request: Request) async throws -> Response {
        let (query, search) = try search(request)
        let limit = pageSize
        var results: ResultSet?
        var error: String?
        if !search.text.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                results = try await reader.search(search.text, literal: search.literal, filter: search.filter, limit: limit,
                                                  markers: SearchPage.markers)
            } catch let invalid as QueryError {
                guard case .invalidSearch = invalid else { throw invalid }
                error = invalid.description.replacingOccurrences(of: "or add --literal", with: "or tick literal text")
            }
        }
        return Responses.html(SearchPage(query: query, text: search.text, literal: search.literal, results: results, error: error, limit: limit).html)
    }

    /// The keys of `archive search --format json`.
    private func searchJSON(_ request: Request) async throws -> Response {
        let (_, search) = try search(request)
        guard !search.text.trimmingCharacters(in: .whitespaces).isEmpty else { throw ViewerError.badRequest("Give the search as ?q=…") }
        let limit = pageSize
        let results = try await reader.search(search.text, literal: search.literal, filter: search.filter, limit: limit,
                                              markers: CallSearch.markers)
        return Responses.jsonText(Self.json(results))
    }

    // MARK: Stats

    private func grouping(_ query: ListQuery) throws -> CallStats.Grouping? {
        guard let name = query.given("by") else { return nil }
        guard let grouping = CallStats.Grouping(rawValue: name) else {
            throw ViewerError.badRequest("by=\(name) is not one of \(CallStats.Grouping.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return grouping
    }

    private func statsPage(_ request: Request) async throws -> Response {
        let query = ListQuery(request.uri.query)
        let filter = try query.filter()
        let by = try grouping(query)
        let groups = try await reader.stats(filter, by: by)
        let byDay = try await reader.stats(filter, by: .day)
        let byAssistant = try await reader.stats(filter, by: .assistant)
        return Responses.html(StatsPage(query: query, grouping: by, groups: groups, byDay: byDay, byAssistant: byAssistant).html)
    }

    /// What `archive stats --format json` prints.
    private func statsJSON(_ request: Request) async throws -> Response {
        let query = ListQuery(request.uri.query)
        let filter = try query.filter()
        let by = try grouping(query)
        let groups = try await reader.stats(filter, by: by)
        return Responses.json(.array(groups.map { StatsReport.json($0, by: by) }))
    }

    // MARK: Files

    private func recording(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let hash = context.parameters.get("sha256") ?? ""
        guard RecordingResponder.isHash(hash), let row = try await reader.recording(sha256: hash) else {
            throw ViewerError.notFound("No archived recording has that SHA-256.")
        }
        return try await recordings.respond(row, request: request, context: context)
    }

    private func asset(_ text: String, type: String) -> Response {
        var response = Responses.text(text, type: type)
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    /// Rows as the CLI's `--format json` writes them, through the same writer.
    static func json(_ result: ResultSet) -> String {
        let output = OutputBuffer.memory()
        result.write(to: RowWriter(format: .json, columns: result.columns, output: output))
        return output.text
    }
}
