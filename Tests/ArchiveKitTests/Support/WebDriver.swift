import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A real headless Chromium, driven over the W3C WebDriver protocol through
/// Debian's `chromedriver`: started by the test on a free loopback port and
/// always stopped by it (the driver ends its browser as it exits).
final class WebDriver: @unchecked Sendable {
    // Set once in init.
    private let driver: Process
    private let endpoint: String
    private var session = ""

    static let chromium = "/usr/bin/chromium"
    static let chromedriver = "/usr/bin/chromedriver"
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver)
    }

    init() async throws {
        let port = try freeLoopbackPort()
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: Self.chromedriver)
        driver.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        endpoint = "http://127.0.0.1:\(port)"
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let status = try? await call(.GET, "/status"), (status["value"] as? [String: Any])?["ready"] as? Bool == true { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": ["binary": Self.chromium,
                                   "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
                                            "--autoplay-policy=no-user-gesture-required", "--window-size=1280,1000", "--no-first-run"]],
            "goog:loggingPrefs": ["browser": "ALL", "performance": "ALL"],
        ] as [String: Any]]]
        let created = try await call(.POST, "/session", capabilities)
        guard let id = (created["value"] as? [String: Any])?["sessionId"] as? String else {
            stop()
            throw TestSetupError("chromedriver made no session: \(created)")
        }
        session = id
    }

    func stop() {
        if !session.isEmpty {
            let semaphore = DispatchSemaphore(value: 0)
            let path = "/session/\(session)"
            Task { _ = try? await self.call(.DELETE, path); semaphore.signal() }
            _ = semaphore.wait(timeout: .now() + 10)
        }
        ViewerProcess.end(driver)
    }

    func open(_ url: String) async throws { _ = try await command(.POST, "url", ["url": url]) }

    /// Runs a script in the page; returns its value.
    func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command(.POST, "execute/sync", ["script": script, "args": arguments])["value"] ?? nil
    }

    /// Clicks the first element that matches the CSS selector.
    func click(_ selector: String) async throws {
        let found = try await command(.POST, "element", ["using": "css selector", "value": selector])
        guard let element = (found["value"] as? [String: Any])?.values.first as? String else {
            throw TestSetupError("no element matches \(selector): \(found)")
        }
        _ = try await command(.POST, "element/\(element)/click", [:])
    }

    func screenshot(to path: String) async throws {
        let answer = try await command(.GET, "screenshot", nil)
        guard let base64 = answer["value"] as? String, let data = Data(base64Encoded: base64) else { throw TestSetupError("no screenshot") }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Entries of a log (`browser` for the console, `performance` for the network), cleared as read.
    func log(_ type: String) async throws -> [[String: Any]] {
        try await command(.POST, "se/log", ["type": type])["value"] as? [[String: Any]] ?? []
    }

    /// Every URL the page requested since the log was last read, from Chromium's network events.
    func requestedURLs() async throws -> [String] {
        try await log("performance").compactMap { entry in
            guard let text = entry["message"] as? String,
                  let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["message"] as? [String: Any],
                  message["method"] as? String == "Network.requestWillBeSent",
                  let request = (message["params"] as? [String: Any])?["request"] as? [String: Any] else { return nil }
            return request["url"] as? String
        }
    }

    // MARK: The wire

    private func command(_ method: HTTPMethod, _ path: String, _ body: [String: Any]?) async throws -> [String: Any] {
        try await call(method, "/session/\(session)/\(path)", body)
    }

    private func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        // Starting Chromium takes 10 s on a quiet machine.
        let response = try await ViewerProcess.client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any] ?? [:]
        if response.status.code >= 400 { throw TestSetupError("WebDriver \(method) \(path): \(response.status.code) \(object)") }
        return object
    }
}
