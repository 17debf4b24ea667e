import Foundation
import NIOHTTP1

/// PureTalk's recordings: a path on the API host that needs the key, and for
/// some calls answers a redirect to the storage host.
extension SimulatorCore {
    /// `/puretalk/api/calls/{id}/recording` → the ID.
    func recordingRoute(_ path: String) -> String? {
        Self.callID(in: path, between: SimulatedVendor.puretalk.basePath + "/calls/", and: "/recording")
    }

    /// The ID that is the one path segment between `prefix` and `suffix`, decoded;
    /// nil when the path has another shape. The recording endpoints on the API host.
    static func callID(in path: String, between prefix: String, and suffix: String) -> String? {
        guard path.hasPrefix(prefix), path.hasSuffix(suffix), path.count > prefix.count + suffix.count else { return nil }
        let encoded = path.dropFirst(prefix.count).dropLast(suffix.count)
        guard !encoded.contains("/") else { return nil }
        return String(encoded).removingPercentEncoding
    }

    func pureTalkRecordingAnswer(id: String) -> (Answer, delay: Duration) {
        if let fault = recordingFault(.puretalk, id: id) { return recordingFaultAnswer(fault, vendor: .puretalk, id: id) }
        guard CallFactory.hasRecording(.puretalk, id: id) else {
            return (Self.error(.puretalk, .notFound, "Recording not available"), configuration.latency)
        }
        if RecordingLinks.pureTalkRedirects(id) {
            return (.respond(status: .found, headers: [("Location", links().signedStorageURL(.puretalk, id: id))], body: ""),
                    configuration.latency)
        }
        return (recordingStream(.puretalk, id: id), configuration.latency)
    }
}
