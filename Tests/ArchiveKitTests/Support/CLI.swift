import Foundation

/// Runs the built `archive` executable, as a user would.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutBytes: Data
    }

    static var executable: URL {
        // The test bundle sits beside the products it was built with.
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("archive")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: URL) throws -> Result {
        let out = Pipe(), err = Pipe()
        let process = try spawn(arguments, environment: environment, in: directory, stdout: out, stderr: err)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self), stdoutBytes: stdout)
    }

    /// Starts `archive` without waiting, for tests that signal or race it.
    /// The environment is the test's, minus API keys, ARCHIVE_DB and PostgreSQL's PG* settings, plus `environment`.
    static func spawn(_ arguments: [String], environment: [String: String] = [:], in directory: URL,
                      stdin: Any = FileHandle.nullDevice, stdout: Any = FileHandle.nullDevice,
                      stderr: Any = FileHandle.nullDevice) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasSuffix("_API_KEY") && $0.key != "ARCHIVE_DB" && !$0.key.hasPrefix("PG") }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return process
    }
}
