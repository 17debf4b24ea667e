import Foundation
import NIOHTTP1

/// Recordings on the storage host: signed, expiring URLs (no key). PureTalk's
/// own recording path on the API host is in its folder.
extension SimulatorCore {
    static func recordingKey(_ vendor: SimulatedVendor, _ id: String) -> String { "recording:\(vendor.rawValue):\(id)" }

    /// `/rec/{vendor}/{id}.wav?expires=…&sig=…` on the storage host. Answers 403 to
    /// a bad signature or an expired link, as S3 and GCS do.
    func storageAnswer(path: String, query: [URLQueryItem], head: HTTPRequestHead) -> (Answer, delay: Duration) {
        state.withLock {
            $0.storageRequests += 1
            $0.storageHeaderValues.append(contentsOf: head.headers.map(\.value))
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[1] == "rec", let vendor = SimulatedVendor(rawValue: String(parts[2])),
              parts[3].hasSuffix(".wav"), let id = String(parts[3].dropLast(4)).removingPercentEncoding
        else { return (Self.storageError(.notFound, "NoSuchKey", "The specified key does not exist."), configuration.latency) }
        let expires = query.first { $0.name == "expires" }?.value.flatMap(Int.init)
        let signature = query.first { $0.name == "sig" }?.value
        guard let expires, signature == RecordingLinks.signature(path: path, expires: expires) else {
            return (Self.storageError(.forbidden, "SignatureDoesNotMatch", "The request signature does not match."), configuration.latency)
        }
        guard expires >= now else {
            return (Self.storageError(.forbidden, "AccessDenied", "Request has expired"), configuration.latency)
        }
        if let fault = recordingFault(vendor, id: id) { return recordingFaultAnswer(fault, vendor: vendor, id: id) }
        guard CallFactory.hasRecording(vendor, id: RecordingLinks.callID(ofRecording: id)) else {
            return (Self.storageError(.notFound, "NoSuchKey", "The specified key does not exist."), configuration.latency)
        }
        return (recordingStream(vendor, id: id), configuration.latency)
    }

    func recordingFault(_ vendor: SimulatedVendor, id: String) -> Fault? {
        state.withLock { nextFault(key: Self.recordingKey(vendor, id), scriptKey: "recording:\(id)", state: &$0) }
    }

    func recordingStream(_ vendor: SimulatedVendor, id: String, stopAfter: Int? = nil) -> Answer {
        let size = RecordingFactory.size(vendor, id: id, fixed: configuration.recordingSize)
        return .stream(contentType: RecordingFactory.contentType(vendor), RecordingStream(vendor, id: id, size: size),
                       stopAfter: stopAfter, bytesPerSecond: configuration.recordingBytesPerSecond)
    }

    /// Faults on a recording: a truncated one stops halfway through the bytes,
    /// a slow one starts late; the rest answer as on Get Call.
    func recordingFaultAnswer(_ fault: Fault, vendor: SimulatedVendor, id: String) -> (Answer, delay: Duration) {
        switch fault {
        case .truncatedBody:
            let size = RecordingFactory.size(vendor, id: id, fixed: configuration.recordingSize)
            return (recordingStream(vendor, id: id, stopAfter: size / 2), configuration.latency)
        case .slow(let seconds):
            return (recordingStream(vendor, id: id), .milliseconds(Int64(seconds * 1000)))
        default:
            return faultAnswer(fault, vendor: vendor, body: { nil })
        }
    }

    private static func storageError(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> Answer {
        .respond(status: status, headers: [("Content-Type", "application/xml")],
                 body: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>\(message)</Message></Error>")
    }
}
