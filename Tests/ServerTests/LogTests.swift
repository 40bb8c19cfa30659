import Testing

@testable import Server

@Suite("Structured logs")
struct LogTests {
    @Test func oneLineOfKeyValueFieldsPerEvent() {
        let sink = MemorySink()
        let root = Logger(component: "server", level: .info, sink: sink)
        let intake = root.component("intake")
        intake.info("stream ended", ["peer": "127.0.0.1:4711", "reason": "client said \"bye\"\n"])
        intake.debug("not written at info")

        #expect(sink.written.count == 1)
        let line = sink.written[0]
        #expect(line.hasPrefix("ts="))
        #expect(line.contains(" level=info component=intake msg=\"stream ended\""))
        #expect(line.contains(" peer=127.0.0.1:4711"))
        #expect(line.contains(" reason=\"client said \\\"bye\\\"\\n\""))
        #expect(!line.contains("\n"))
    }

    @Test func aReloadChangesTheLevelOfEveryDerivedLogger() {
        let sink = MemorySink()
        let root = Logger(component: "server", level: .warning, sink: sink)
        let store = root.component("store")
        store.info("hidden")
        root.level = .debug
        store.debug("shown")
        #expect(sink.written.count == 1)
        #expect(sink.written[0].contains("msg=shown"))
    }
}
