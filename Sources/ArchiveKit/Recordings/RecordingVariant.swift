import GRDB

/// Which of a call's recordings a file is (migration 0007). Every vendor has
/// the mixed `mono` recording; Retell also offers `multichannel` (each party on
/// its own channel) and Vapi `stereo` (the customer on one channel, the
/// assistant on the other): the two-party recordings that let a reviewer hear
/// who talked over whom.
public enum RecordingVariant: String, Sendable, CaseIterable, Codable, DatabaseValueConvertible {
    case mono, multichannel, stereo
}
