import Foundation

/// Where a sync's API key comes from: a file (preferred on shared machines,
/// where another user can read a process's environment through `ps e` or
/// `/proc`) or the provider's environment variable.
public enum APIKey {
    /// The longest key file read; a real key is well under a kilobyte.
    static let maxFileBytes = 64 * 1024

    /// Reads the key from `file` when given, else from the environment.
    /// `warn` hears about a key file that other users can read.
    public static func read(file: String?, provider: Provider,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            warn: (String) -> Void) throws(ConfigurationError) -> String {
        guard let file else {
            guard let key = environment[provider.apiKeyVariable]?.trimmingWhitespace(), !key.isEmpty else {
                throw .missingAPIKey(variable: provider.apiKeyVariable, provider: provider)
            }
            return key
        }
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw .apiKeyFile(file, String(cString: strerror(errno)).lowercased())
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .apiKeyFile(file, "it is not a regular file") }
        guard info.st_size <= maxFileBytes else { throw .apiKeyFile(file, "it is \(info.st_size) bytes; a key file holds one line") }
        guard let data = FileManager.default.contents(atPath: file) else { throw .apiKeyFile(file, "permission denied") }
        guard let text = String(data: data, encoding: .utf8) else { throw .apiKeyFile(file, "it is not UTF-8 text") }
        guard let key = text.split(whereSeparator: \.isNewline).first.map({ String($0).trimmingWhitespace() }),
              !key.isEmpty
        else { throw .apiKeyFile(file, "it is empty; put the key on its first line") }
        if info.st_mode & 0o077 != 0 {
            warn("\(file) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))); run 'chmod 600 \(file)'")
        }
        return key
    }
}
