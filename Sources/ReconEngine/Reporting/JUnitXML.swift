/// A JUnit XML document, as CI test dashboards read it: suites of test cases, each passed,
/// failed or in error. `rules test`, `rules lint` and `run` write theirs through it.
public struct JUnitXML: Sendable {
    public struct TestCase: Sendable {
        public enum Outcome: Sendable {
            case passed
            /// A check that failed: `<failure message=… type=…>details</failure>`.
            case failure(message: String, type: String, details: String)
            /// A check that could not be made: `<error message=… type=…>details</error>`.
            case error(message: String, type: String, details: String)
        }

        public var classname: String
        public var name: String
        public var file: String?
        public var line: Int?
        public var outcome: Outcome
        /// Text shown beside a case that passed (a lint warning, say).
        public var systemOut: String?

        public init(classname: String, name: String, file: String? = nil, line: Int? = nil, outcome: Outcome = .passed, systemOut: String? = nil) {
            self.classname = classname
            self.name = name
            self.file = file
            self.line = line
            self.outcome = outcome
            self.systemOut = systemOut
        }

        var failed: Bool {
            if case .failure = outcome { return true }
            return false
        }

        var erred: Bool {
            if case .error = outcome { return true }
            return false
        }
    }

    public struct Suite: Sendable {
        public var name: String
        /// `<properties>`: facts about the suite as a whole (a run's id, say), in this order.
        public var properties: [(name: String, value: String)]
        public var cases: [TestCase]

        public init(name: String, properties: [(name: String, value: String)] = [], cases: [TestCase]) {
            self.name = name
            self.properties = properties
            self.cases = cases
        }

        public var failures: Int { cases.count(where: \.failed) }
        public var errors: Int { cases.count(where: \.erred) }
    }

    public var name: String
    public var suites: [Suite]

    public init(name: String, suites: [Suite]) {
        self.name = name
        self.suites = suites
    }

    /// The document. `errors` is written only where some case erred, and `<properties>` only
    /// where a suite has some. Linear in the number of cases.
    public func render() -> String {
        let x = XMLText.escaped
        func counts(tests: Int, failures: Int, errors: Int) -> String {
            #"tests="\#(tests)" failures="\#(failures)""# + (errors > 0 ? #" errors="\#(errors)""# : "")
        }
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out.reserveCapacity(suites.reduce(0) { $0 + $1.cases.count } * 300)
        let (failures, errors) = suites.reduce((0, 0)) { ($0.0 + $1.failures, $0.1 + $1.errors) }
        out += #"<testsuites name="\#(x(name))" \#(counts(tests: suites.reduce(0) { $0 + $1.cases.count }, failures: failures, errors: errors))>"# + "\n"
        for suite in suites {
            out += #"  <testsuite name="\#(x(suite.name))" \#(counts(tests: suite.cases.count, failures: suite.failures, errors: suite.errors))>"# + "\n"
            if !suite.properties.isEmpty {
                out += "    <properties>\n"
                for property in suite.properties {
                    out += #"      <property name="\#(x(property.name))" value="\#(x(property.value))"/>"# + "\n"
                }
                out += "    </properties>\n"
            }
            for test in suite.cases {
                out += #"    <testcase classname="\#(x(test.classname))" name="\#(x(test.name))""#
                if let file = test.file { out += #" file="\#(x(file))""# }
                if let line = test.line { out += #" line="\#(line)""# }
                var body: [String] = []
                switch test.outcome {
                case .passed: break
                case .failure(let message, let type, let details):
                    body.append(#"<failure message="\#(x(message))" type="\#(x(type))">\#(x(details))</failure>"#)
                case .error(let message, let type, let details):
                    body.append(#"<error message="\#(x(message))" type="\#(x(type))">\#(x(details))</error>"#)
                }
                if let systemOut = test.systemOut { body.append("<system-out>\(x(systemOut))</system-out>") }
                if body.isEmpty {
                    out += "/>\n"
                } else {
                    out += ">\n"
                    for element in body { out += "      " + element + "\n" }
                    out += "    </testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }
}
