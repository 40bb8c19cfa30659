import Foundation
import Testing

/// The vendor's guide shows the example program whole; the two must not
/// drift apart. (The program itself is run against monitord in
/// AgainstServerTests.)
@Suite("Getting started guide")
struct GettingStartedTests {
    @Test func theGuideShowsTheExampleVerbatim() throws {
        let guide = try String(
            contentsOf: repositoryRoot.appendingPathComponent("docs/getting-started.md"),
            encoding: .utf8)
        let example = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Examples/GettingStarted/main.swift"),
            encoding: .utf8)

        let marker = "<!-- Examples/GettingStarted/main.swift, verbatim"
        let afterMarker = try #require(guide.range(of: marker), "the guide lost its marker")
        let rest = guide[afterMarker.upperBound...]
        let open = try #require(rest.range(of: "```swift\n"))
        let body = rest[open.upperBound...]
        let close = try #require(body.range(of: "\n```\n"))
        let shown = String(body[..<close.lowerBound]) + "\n"
        #expect(shown == example, "copy Examples/GettingStarted/main.swift into the guide")
    }
}
