import ArchiveKit
import ArchivePostgres
import ArchiveViewer
import ArgumentParser
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Look at the archive in a browser: calls, transcripts with their audio and latency, search and stats. Read-only, no network.",
        discussion: """
            Serves 127.0.0.1 only, unless --host names another address; that needs --token-file, and then every \
            request must carry the token (open the printed address with ?token=… once; the browser keeps a cookie). \
            Each page's data is also at /api/… as JSON, with the keys of the CLI's --format json. Ctrl-C stops it (exit 0).
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var recordingOptions: RecordingOptions

    @Option(help: "The TCP port; 0 picks a free one.")
    var port = 8001

    @Option(help: ArgumentHelp("The address to listen on. Anything but loopback needs --token-file.", valueName: "address"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("A file holding the access token (at least 16 characters), required beyond loopback.", valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp("Stop any one request's database work after this many seconds.", valueName: "seconds"))
    var timeout = 10.0

    @Option(help: "Calls or search results on one page (1 to 500).")
    var pageSize = 50

    /// For scripts and tests: stop by itself after this long.
    @Option(help: .hidden)
    var exitAfter: Double?

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds.") }
        guard (1...500).contains(pageSize) else { throw ValidationError("--page-size must be between 1 and 500.") }
    }

    func run() async throws {
        let location = try database.location
        let name = switch location {
        case .sqlite(let path): path
        case .postgres(let server): server.description
        }
        var configuration = ViewerConfiguration(databasePath: name, recordingsDirectory: try recordingOptions.directory(database: database))
        configuration.host = host
        configuration.port = port
        configuration.queryTimeout = timeout
        configuration.pageSize = pageSize
        if let tokenFile { configuration.token = try AccessToken(file: tokenFile) }
        let server = try ViewerServer(configuration)
        let tokenNote = configuration.token == nil ? "" : " Open it once with ?token= and the token from \(tokenFile ?? "--token-file") added."
        let onListening: @Sendable (URL) -> Void = { url in
            // Printed at once and flushed, also into a pipe: a script waits for this line.
            FileHandle.standardOutput.write(Data("archive: serving \(name) read-only at \(url.absoluteString)\(tokenNote) Ctrl-C stops.\n".utf8))
        }
        let (exitAfter, timeout) = (exitAfter, timeout)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    switch location {
                    case .sqlite:
                        try await server.run(onListening: onListening)
                    case .postgres(let postgres):
                        try await PostgresArchive.with(postgres, readOnlySession: timeout) { archive in
                            try await server.run(source: archive, onListening: onListening)
                        }
                    }
                }
                if let exitAfter { group.addTask { try await Task.sleep(for: .seconds(exitAfter)) } }
                try await group.next()
                group.cancelAll()
            }
        } catch is CancellationError {
            return  // --exit-after ran out
        } catch let error as any UserFacingError {
            throw error
        } catch {
            throw ViewerSetupError.cannotListen(host: host, port: port, reason: Self.reason(error))
        }
    }

    /// What the socket layer says, without a stack of type names.
    static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("Address already in use") || text.contains("EADDRINUSE") { return "the address is already in use" }
        if text.contains("Cannot assign requested address") || text.contains("EADDRNOTAVAIL") { return "this machine has no such address" }
        return text
    }
}
