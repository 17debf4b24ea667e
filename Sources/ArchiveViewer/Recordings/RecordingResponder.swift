import ArchiveKit
import Foundation
import Hummingbird

/// `/recordings/{sha256}`: an archived recording, found through the
/// `recordings` table by its hash, never by a path from the request: `..`,
/// `%2e%2e`, absolute paths and anything the table does not list are 404,
/// and so is a file that is a symlink or not a regular file.
struct RecordingResponder {
    let directory: String
    let fileIO = FileIO()

    static func isHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    func respond(_ row: RecordingRow, request: Request, context: some RequestContext) async throws -> Response {
        let path = directory + "/" + row.file
        var info = stat()
        // lstat: a symlink planted in the recordings directory is not followed.
        guard !row.file.contains(".."), !row.file.hasPrefix("/"), lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw ViewerError.notFound("The recording \(row.sha256) is listed in the archive but its file is missing from the recordings directory.")
        }
        let size = Int(info.st_size)
        var headers: HTTPFields = [
            .contentType: row.contentType ?? "application/octet-stream",
            .acceptRanges: "bytes",
            .eTag: "\"\(row.sha256)\"",
            // The bytes behind a hash never change.
            .cacheControl: "private, max-age=31536000, immutable",
        ]
        switch ByteRange(header: request.headers[.range], size: size) {
        case .unsatisfiable:
            var error = ViewerError(status: .rangeNotSatisfiable, message: "The range asked for lies past the end of the recording (\(size) bytes).")
            error.headers[.contentRange] = "bytes */\(size)"
            throw error
        case .partial(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            let body = try await fileIO.loadFile(path: path, range: range, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        case .whole:
            guard size > 0 else { return Response(status: .ok, headers: headers, body: .init()) }
            let body = try await fileIO.loadFile(path: path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        }
    }
}
