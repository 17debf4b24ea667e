import Foundation

/// Generates the simulator's calls: deterministic per (vendor, ID), realistic in
/// shape (about 20 turns, the agent's half with latency, a few analysis
/// fields), and varied in the ways that matter to an archive: non-final calls,
/// missing analysis, unicode, tool calls.
public enum CallFactory {
    /// The Get Call body the vendor would send for `id`, or nil when it has no such call.
    /// `links` says where its recording link points (a running simulator points them at itself).
    public static func body(_ vendor: SimulatedVendor, id: String, links: RecordingLinks = .production) -> String? {
        callObject(vendor, id: id, links: links).map { vendor == .puretalk ? wrapped($0).text : $0.text }
    }

    /// The call as PureTalk's List Calls returns it: the Get Call `results` object.
    static func callObject(_ vendor: SimulatedVendor, id: String, links: RecordingLinks) -> JSONText? {
        guard !id.contains(SimulatedVendor.notFoundMarker) else { return nil }
        var rng = SplitMix64("\(vendor.rawValue):\(id)")
        let call = SimulatedCall(rng: &rng)
        switch vendor {
        case .puretalk: return pureTalk(id: id, call: call, links: links, rng: &rng)
        case .puppeteer: return puppeteer(id: id, call: call, links: links, rng: &rng)
        case .retell: return retell(id: id, call: call, links: links, rng: &rng)
        case .vapi: return vapi(id: id, call: call, links: links, rng: &rng)
        }
    }

    /// The facts List Calls filters on, without building the whole body.
    static func summary(_ vendor: SimulatedVendor, id: String) -> (start: Int, created: Int, ended: Bool, stage: SimulatedCall.Stage) {
        var rng = SplitMix64("\(vendor.rawValue):\(id)")
        let call = SimulatedCall(rng: &rng)
        let created = vendor == .vapi ? vapiCreated(id) ?? call.start - 60 : call.start - 60
        return (call.start, created, call.stage != .ongoing && call.stage != .scheduled, call.stage)
    }

    /// Whether the call has a recording yet: only calls that have ended do.
    public static func hasRecording(_ vendor: SimulatedVendor, id: String) -> Bool {
        !id.contains(SimulatedVendor.notFoundMarker) && summary(vendor, id: id).ended
    }

    /// The `status` each vendor reports for a call at this stage.
    static func statusText(_ vendor: SimulatedVendor, _ stage: SimulatedCall.Stage) -> String {
        switch (vendor, stage) {
        case (.puretalk, .ongoing), (.puretalk, .scheduled): "in-progress"
        case (.puretalk, .failed): "failed"
        case (.puretalk, _): "completed"
        case (.puppeteer, .scheduled): "scheduled"
        case (.puppeteer, .ongoing): "ongoing"
        case (.puppeteer, .failed): "error"
        case (.puppeteer, _): "ended"
        case (.retell, .scheduled): "registered"
        case (.retell, .ongoing): "ongoing"
        case (.retell, .failed): "error"
        case (.retell, _): "ended"
        case (.vapi, .scheduled): "queued"
        case (.vapi, .ongoing): "in-progress"
        case (.vapi, _): "ended"
        }
    }

    /// The facts both vendors' bodies are built from.
    struct SimulatedCall {
        enum Stage { case scheduled, ongoing, endedAwaitingAnalysis, analysed, failed }
        var stage: Stage
        var start: Int  // Unix seconds
        var duration: Int  // seconds
        var outbound: Bool
        var turns: [(agent: Bool, text: String)]
        var assistant: (id: String, name: String)
        var sentiment: String
        var taskDone: Bool

        init(rng: inout SplitMix64) {
            let roll = rng.int(0...99)
            stage = roll < 3 ? .ongoing : roll < 5 ? .scheduled : roll < 8 ? .endedAwaitingAnalysis : roll < 12 ? .failed : .analysed
            start = 1_735_689_600 + rng.int(0...(300 * 86_400))  // during 2025
            duration = rng.int(20...600)
            outbound = rng.chance(0.5)
            assistant = rng.pick(CallFactory.assistants)
            sentiment = rng.pick(["positive", "neutral", "negative"])
            taskDone = rng.chance(0.7)
            let count = stage == .scheduled ? 0 : rng.int(5...35)
            turns = (0..<count).map { i in
                (agent: i % 2 == 0, text: i % 2 == 0 ? rng.pick(CallFactory.agentLines) : rng.pick(CallFactory.userLines))
            }
        }
    }

    static let assistants = [
        ("217b769d-befe-47a2-83bc-b014c2e19ea5", "Appointment Setter"),
        ("5d0c41a2-7f3e-4b51-9a57-2c1e8f0b6d33", "Refund Desk"),
        ("9a8e7f61-3b2c-4d1e-8f70-6a5b4c3d2e1f", "Réception Café"),
    ]
    static let agentLines = [
        "Hello, thanks for calling. How can I help you today?",
        "I can help with that. Could you give me your order number?",
        "I've started the refund; you'll see it in 3 to 5 business days.",
        "Your appointment is booked for Tuesday at 10 o'clock.",
        "Je peux vous aider avec ça — un instant, s'il vous plaît.",
        "Is there anything else I can do for you?",
    ]
    static let userLines = [
        "Hi, I'd like a refund for my last order.",
        "The order number is A-1234.",
        "Can I move my appointment to next week?",
        "That's great, thank you! 👍",
        "No, the \"premium\" plan was never activated.",
        "日本語でも大丈夫ですか？",
    ]

}
