import Foundation
import FoundationXML
import ReconEngine
import Testing

/// The one JUnit writer and the one XML escaping that `rules test`, `rules lint` and `run` share.
struct JUnitXMLTests {
    @Test func escapesTextAndDropsWhatXMLCannotHold() {
        #expect(XMLText.escaped("plain text, é 😀") == "plain text, é 😀")
        #expect(XMLText.escaped(#"<a href="x">&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;")
        #expect(XMLText.escaped("tab\tnl\ncr\r bell\u{07} esc\u{1B} nul\u{0} \u{FFFE}\u{FFFF}\u{FFFD}") == "tab\tnl\ncr\r bell esc nul \u{FFFD}")
    }

    @Test func countsAndOutcomes() throws {
        let hostile = "s<1>&\"'\u{1B}"
        let document = JUnitXML(name: "n", suites: [
            JUnitXML.Suite(name: hostile, properties: [("id", hostile)], cases: [
                .init(classname: hostile, name: "passes", file: "f.yaml", line: 3),
                .init(classname: "c", name: "fails", outcome: .failure(message: hostile, type: "critical", details: "a\nb <c>")),
                .init(classname: "c", name: "errs", outcome: .error(message: "m", type: "source_error", details: "d")),
                .init(classname: "c", name: "warns", systemOut: "careful & slow"),
            ]),
            JUnitXML.Suite(name: "empty", cases: []),
        ]).render()
        #expect(document.contains(#"<testsuites name="n" tests="4" failures="1" errors="1">"#))
        #expect(document.contains(#"<testsuite name="empty" tests="0" failures="0">"#))
        #expect(document.contains(#"<testcase classname="s&lt;1&gt;&amp;&quot;&apos;" name="passes" file="f.yaml" line="3"/>"#))
        let xml = try XMLDocument(xmlString: document)
        let suite = try #require(xml.rootElement()?.elements(forName: "testsuite").first)
        #expect(suite.attribute(forName: "name")?.stringValue == "s<1>&\"'")
        #expect(suite.attribute(forName: "errors")?.stringValue == "1")
        let property = try #require(try xml.nodes(forXPath: "//property").first as? XMLElement)
        #expect(property.attribute(forName: "value")?.stringValue == "s<1>&\"'")
        let failure = try #require(try xml.nodes(forXPath: "//failure").first as? XMLElement)
        #expect(failure.stringValue == "a\nb <c>")
        #expect(try xml.nodes(forXPath: "//testcase[@name='warns']/system-out").first?.stringValue == "careful & slow")
    }
}
