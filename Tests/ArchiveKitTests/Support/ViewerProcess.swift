import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `archive serve` run as a person runs it, on a free loopback port: started
/// by the test, asked over real HTTP, and stopped by the test. It also exits
/// by itself after nine minutes (`--exit-after`, longer than the browser suite's
/// eight-minute limit), should the test die first.
final class ViewerProcess: @unchecked Sendable {
    // Set once in init; read-only afterwards.
    let process: Process
    let baseURL: String
    let output: Pipe
    let errors: Pipe

    /// Starts the viewer and waits (at most 30 s) for the line with its address.
    init(_ arguments: [String], environment: [String: String] = [:], in directory: URL) throws {
        output = Pipe()
        errors = Pipe()
        process = try CLI.spawn(["serve", "--port", "0", "--exit-after", "540"] + arguments, environment: environment, in: directory,
                                stdout: output, stderr: errors)
        let handle = output.fileHandleForReading
        let line = try Self.firstLine(handle, timeout: 30)
        guard let range = line.range(of: "http://"), let end = line[range.lowerBound...].firstIndex(of: " ") else {
            process.terminate()
            throw TestSetupError("the viewer printed no address: \(line.debugDescription)")
        }
        baseURL = String(line[range.lowerBound..<end]).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        startLine = line
    }

    /// The line the server printed when it started.
    let startLine: String

    /// Stops it (SIGTERM, then SIGKILL after 5 s) and returns what it wrote to stderr.
    @discardableResult
    func stop() -> String {
        Self.end(process)
        return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// SIGTERM, then SIGKILL if it still runs 5 s later. Polled rather than
    /// `waitUntilExit`, which has hung here after chromedriver exited.
    static func end(_ process: Process) {
        for signal in [SIGTERM, SIGKILL] where process.isRunning {
            kill(process.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
        }
    }

    /// Reads up to the first newline on a thread of its own, bounded in time.
    private static func firstLine(_ handle: FileHandle, timeout: Double) throws -> String {
        let box = LineBox()
        let thread = Thread {
            var bytes: [UInt8] = []
            while true {
                let data = handle.readData(ofLength: 1)
                guard let byte = data.first else { break }
                if byte == UInt8(ascii: "\n") { break }
                bytes.append(byte)
            }
            box.set(String(decoding: bytes, as: UTF8.self))
        }
        thread.start()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = box.value { return line }
            usleep(10_000)
        }
        throw TestSetupError("the viewer did not print its address within \(Int(timeout)) s")
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first(name: name) }
    }

    /// One request, as a browser would send it (no redirects followed).
    func request(_ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Array(buffer: body))
    }

    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
}

private final class LineBox: @unchecked Sendable {
    // Guarded by `lock`.
    private var line: String?
    private let lock = NSLock()
    func set(_ value: String) { lock.withLock { line = value } }
    var value: String? { lock.withLock { line } }
}

