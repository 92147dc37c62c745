import Foundation
import ReconEngine
import Reconciliation
import Testing

struct ReportTests {
    static let report: RunReport = {
        var report = untracked
        report.discrepancies[0].tracking = Finding.Tracking(
            fingerprint: "74c7d507f4531990f1c94ab63aebe494", status: .persisting, firstSeenAt: "2026-11-24T00:00:00Z", firstSeenRunId: "run-0",
            acknowledged: Acknowledgement.Note(owner: "payments-oncall", reason: "refund in flight", expires: "2026-12-31"))
        report.discrepancies[1].tracking = Finding.Tracking(fingerprint: "0123456789abcdef0123456789abcdef", status: .new,
                                                            firstSeenAt: "2026-11-25T00:00:00Z", firstSeenRunId: "run-1")
        report.previousRunId = "run-0"
        report.resolved = [RunBaseline.Entry(fingerprint: "fedcba9876543210fedcba9876543210", streamId: "stream_4", kind: "missing_on_chain",
                                             field: nil, rule: "key", side: nil, severity: "critical", firstSeenAt: "2026-11-24T00:00:00Z",
                                             firstSeenRunId: "run-0")]
        report.summary.byStatus = ["new": 1, "persisting": 1, "resolved": 1]
        report.summary.acknowledged = 1
        report.expiredAcks = [Acknowledgement(stream: "stream_7", kind: .invalidValue, field: "total_amount", owner: "ops", reason: "typo",
                                              expires: "2026-11-01")]
        return report
    }()

    static let untracked = RunReport(
        runId: "run-1", status: .drift, dryRun: true, persisted: false, startedAt: "2026-11-25T00:00:00Z", finishedAt: "2026-11-25T00:00:01Z",
        rules: .init(name: "payment-streams", sha256: "ab12"), source: .init(chainBlock: 19_000_000),
        summary: .init(streamsChecked: 2, discrepancies: 2, byKind: ["mismatch": 1, "invariant_violation": 1], streamsByStatus: ["active": 2]),
        discrepancies: [
            Finding(streamId: "stream_2", kind: .mismatch, field: "released_amount", dbValue: "500", onChainValue: "450", rule: "released_amount",
                    severity: .critical, message: "released_amount differs: DB 500, on chain 450 (exact)"),
            Finding(streamId: "stream_6", kind: .invariantViolation, side: .db, values: ["released_amount": "1200", "total_amount": "1000"],
                    rule: "released-within-total", severity: .warning, message: "released-within-total fails on DB"),
        ]
    )

    func render(_ format: any ReportFormat.Type) throws -> String {
        let scratch = try Scratch()
        let path = scratch.path("report.out")
        let output = try ReportOutput(file: path)
        var writer = format.init(output: output)
        for finding in Self.report.discrepancies { try writer.found(finding) }
        try writer.finish(Self.report)
        try output.commit()
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// The JSON report is assembled from its parts, never found by searching the encoder's text:
    /// strings that look like JSON, or like the report's own members, in every member of the
    /// report and of its findings come back exactly, and so do all the findings.
    @Test(arguments: [true, false])
    func hostileTextAnywhereRoundTrips(pretty: Bool) throws {
        let hostile = [#"{"discrepancies" : [], "x": "#, "\n  \"discrepancies\" : [\n\n  ],", #"\"}],"#, "\u{0}\u{1B}[2J\r", "é\u{202E}😀", "]}"]
        var findings: [Finding] = []
        for (index, text) in hostile.enumerated() {
            findings.append(Finding(streamId: text + "\(index)", kind: .mismatch, field: text, dbValue: text, onChainValue: text, rule: text,
                                    severity: .info, message: text))
            findings.append(Finding(streamId: text, kind: .invariantViolation, side: .chain, values: [text: text], rule: text,
                                    severity: .warning, message: text))
        }
        let report = RunReport(
            runId: hostile[0], status: .drift, dryRun: false, persisted: true, startedAt: hostile[1], finishedAt: hostile[2],
            rules: .init(name: hostile[1], sha256: hostile[5]), source: .init(chainBlock: nil),
            summary: .init(streamsChecked: 3, discrepancies: findings.count, byKind: [hostile[0]: 1], streamsByStatus: [hostile[2]: 3]),
            discrepancies: findings, error: hostile[3])
        for shown in [report, { var empty = report; empty.discrepancies = []; return empty }()] {
            let object = try #require(try JSONSerialization.jsonObject(with: shown.json(pretty: pretty)) as? [String: Any])
            #expect(object["runId"] as? String == hostile[0])
            #expect((object["rules"] as? [String: Any])?["name"] as? String == hostile[1])
            #expect(object["error"] as? String == hostile[3])
            #expect((object["summary"] as? [String: Any])?["byKind"] as? [String: Int] == [hostile[0]: 1])
            let listed = try #require(object["discrepancies"] as? [[String: Any]])
            #expect(listed.count == shown.discrepancies.count)
            for (item, finding) in zip(listed, shown.discrepancies) {
                #expect(item["streamId"] as? String == finding.streamId)
                #expect(item["message"] as? String == finding.message)
                #expect(item["rule"] as? String == finding.rule)
                #expect(item["dbValue"] as? String == finding.dbValue)
                #expect((item["values"] as? [String: String]) == finding.values)
            }
        }
    }

    @Test func jsonHasTheSpecShape() throws {
        #expect(try render(JSONReport.self) == """
        {
          "alert" : null,
          "discrepancies" : [
            {
              "acknowledged" : {
                "expires" : "2026-12-31",
                "owner" : "payments-oncall",
                "reason" : "refund in flight"
              },
              "dbValue" : "500",
              "field" : "released_amount",
              "fingerprint" : "74c7d507f4531990f1c94ab63aebe494",
              "firstSeenAt" : "2026-11-24T00:00:00Z",
              "firstSeenRunId" : "run-0",
              "kind" : "mismatch",
              "message" : "released_amount differs: DB 500, on chain 450 (exact)",
              "onChainValue" : "450",
              "rule" : "released_amount",
              "severity" : "critical",
              "side" : null,
              "status" : "persisting",
              "streamId" : "stream_2",
              "values" : null
            },
            {
              "acknowledged" : null,
              "dbValue" : null,
              "field" : null,
              "fingerprint" : "0123456789abcdef0123456789abcdef",
              "firstSeenAt" : "2026-11-25T00:00:00Z",
              "firstSeenRunId" : "run-1",
              "kind" : "invariant_violation",
              "message" : "released-within-total fails on DB",
              "onChainValue" : null,
              "rule" : "released-within-total",
              "severity" : "warning",
              "side" : "db",
              "status" : "new",
              "streamId" : "stream_6",
              "values" : {
                "released_amount" : "1200",
                "total_amount" : "1000"
              }
            }
          ],
          "dryRun" : true,
          "expiredAcks" : [
            {
              "expires" : "2026-11-01",
              "field" : "total_amount",
              "kind" : "invalid_value",
              "owner" : "ops",
              "reason" : "typo",
              "rule" : null,
              "stream" : "stream_7"
            }
          ],
          "finishedAt" : "2026-11-25T00:00:01Z",
          "persisted" : false,
          "previousRunId" : "run-0",
          "resolved" : [
            {
              "field" : null,
              "fingerprint" : "fedcba9876543210fedcba9876543210",
              "firstSeenAt" : "2026-11-24T00:00:00Z",
              "firstSeenRunId" : "run-0",
              "kind" : "missing_on_chain",
              "rule" : "key",
              "severity" : "critical",
              "side" : null,
              "streamId" : "stream_4"
            }
          ],
          "rules" : {
            "name" : "payment-streams",
            "sha256" : "ab12"
          },
          "runId" : "run-1",
          "runKey" : null,
          "source" : {
            "chainBlock" : 19000000
          },
          "staleAcks" : [

          ],
          "startedAt" : "2026-11-25T00:00:00Z",
          "status" : "drift",
          "summary" : {
            "acknowledged" : 1,
            "byKind" : {
              "invariant_violation" : 1,
              "mismatch" : 1
            },
            "byStatus" : {
              "new" : 1,
              "persisting" : 1,
              "resolved" : 1
            },
            "discrepancies" : 2,
            "streamsByStatus" : {
              "active" : 2
            },
            "streamsChecked" : 2
          }
        }

        """)
        let decoded = try JSONDecoder().decode(RunReport.self, from: Self.report.json())
        #expect(decoded == Self.report)
    }

    @Test func ndjsonStreamsFindingsThenTheSummary() throws {
        let lines = try render(NDJSONReport.self).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0] == #"{"acknowledged":{"expires":"2026-12-31","owner":"payments-oncall","reason":"refund in flight"},"dbValue":"500","field":"released_amount","fingerprint":"74c7d507f4531990f1c94ab63aebe494","firstSeenAt":"2026-11-24T00:00:00Z","firstSeenRunId":"run-0","kind":"mismatch","message":"released_amount differs: DB 500, on chain 450 (exact)","onChainValue":"450","rule":"released_amount","severity":"critical","side":null,"status":"persisting","streamId":"stream_2","values":null}"#)
        #expect(lines[2] == #"{"alert":null,"dryRun":true,"expiredAcks":[{"expires":"2026-11-01","field":"total_amount","kind":"invalid_value","owner":"ops","reason":"typo","rule":null,"stream":"stream_7"}],"finishedAt":"2026-11-25T00:00:01Z","persisted":false,"previousRunId":"run-0","resolved":[{"field":null,"fingerprint":"fedcba9876543210fedcba9876543210","firstSeenAt":"2026-11-24T00:00:00Z","firstSeenRunId":"run-0","kind":"missing_on_chain","rule":"key","severity":"critical","side":null,"streamId":"stream_4"}],"rules":{"name":"payment-streams","sha256":"ab12"},"runId":"run-1","runKey":null,"source":{"chainBlock":19000000},"staleAcks":[],"startedAt":"2026-11-25T00:00:00Z","status":"drift","summary":{"acknowledged":1,"byKind":{"invariant_violation":1,"mismatch":1},"byStatus":{"new":1,"persisting":1,"resolved":1},"discrepancies":2,"streamsByStatus":{"active":2},"streamsChecked":2}}"#)
    }

    @Test func tableIsReadable() throws {
        #expect(try render(TableReport.self) == """
        Reconciliation run-1: DRIFT (dry run, nothing written)
          rules    payment-streams (sha256 ab12)
          chain    block 19000000
          streams  2 checked (active 2)
          found    2 discrepancies (invariant_violation 1, mismatch 1)
          since    run run-0: 1 new, 1 persisting, 1 resolved; 1 acknowledged
          expired  ack of stream_7 invalid_value (ops) expired on 2026-11-01

        Resolved since the last run:
            stream_4  missing_on_chain  key  (first seen 2026-11-24T00:00:00Z)

        STREAM    KIND                 FIELD/RULE             SIDE  DB   CHAIN  STATUS          SEVERITY
        stream_6  invariant_violation  released-within-total  db    -    -      new             warning
            released-within-total fails on DB
        stream_2  mismatch             released_amount        -     500  450    persisting+ack  critical
            released_amount differs: DB 500, on chain 450 (exact)
            acknowledged by payments-oncall until 2026-12-31: refund in flight

        """)
    }

    @Test func aFailedCleanReportInTable() throws {
        var report = Self.untracked
        report.status = .failed
        report.discrepancies = []
        report.summary = .init(streamsChecked: 0, discrepancies: 0, byKind: [:], streamsByStatus: [:])
        report.source.chainBlock = nil
        report.error = "chain.json:1:1: unexpected character 'x'"
        let scratch = try Scratch()
        let output = try ReportOutput(file: scratch.path("r"))
        var writer = TableReport(output: output)
        try writer.finish(report)
        try output.commit()
        #expect(try String(contentsOfFile: scratch.path("r"), encoding: .utf8) == """
        Reconciliation run-1: FAILED (dry run, nothing written)
          rules    payment-streams (sha256 ab12)
          chain    no block number
          streams  0 checked
          found    0 discrepancies
          error    chain.json:1:1: unexpected character 'x'
          since    no earlier run: 0 new, 0 persisting, 0 resolved

        """)
    }

    @Test func outputFilesAppearWholeOrNotAtAll() throws {
        let scratch = try Scratch()
        let path = scratch.path("report.json")
        try "old".write(toFile: path, atomically: true, encoding: .utf8)
        let output = try ReportOutput(file: path)
        try output.write("new")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        output.discard()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["report.json"])
        let second = try ReportOutput(file: path)
        try second.write("new")
        try second.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["report.json"])
        #expect(throws: (any Error).self) { try ReportOutput(file: "/no/such/dir/report.json") }
    }

    @Test func formatsAreRegistered() {
        #expect(ReportFormats.all.map { $0.identifier } == ["table", "json", "ndjson", "sarif", "junit"])
        #expect(ReportFormats.named("ndjson") == NDJSONReport.self)
        #expect(ReportFormats.named("xml") == nil)
        #expect(Self.untracked.highestSeverity == .critical)
        #expect(Self.report.highestSeverity == .warning, "the critical one is acknowledged")
    }
}

/// The fast finding writer must print exactly what JSONEncoder prints.
struct FindingJSONTests {
    static let tricky = [
        Finding(streamId: "s\"1\\/2", kind: .invalidValue, field: "f", side: .chain, onChainValue: "tab\there\nnl\r\u{08}\u{0C}\u{01}\u{1F}é😀",
                rule: "f", severity: .info, message: "quote \" and backslash \\"),
        Finding(streamId: "s", kind: .invariantViolation, side: .db, values: [:], rule: "r", severity: .warning, message: "empty values"),
        Finding(streamId: "s", kind: .invariantViolation, side: .db, values: ["b\"": "2", "a": "1"], rule: "r", severity: .critical, message: "m"),
        Finding(streamId: "s", kind: .mismatch, field: "f", dbValue: "1", onChainValue: "2", rule: "f", severity: .info, message: "m",
                tracking: .init(fingerprint: "ab", status: .persisting, firstSeenAt: "t\"0", firstSeenRunId: "r\\0",
                                acknowledged: .init(owner: "o\n", reason: "because \"x\"", expires: "2026-12-31"))),
        Finding(streamId: "s", kind: .missingInDB, rule: "key", severity: .critical, message: "m",
                tracking: .init(fingerprint: "cd", status: .new, firstSeenAt: "t1", firstSeenRunId: "r1")),
    ]

    @Test(arguments: [true, false])
    func matchesJSONEncoder(_ pretty: Bool) throws {
        var report = ReportTests.report
        report.discrepancies = Self.tricky + ReportTests.report.discrepancies
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        let expected = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(String(decoding: report.json(pretty: pretty), as: UTF8.self) == expected)
    }

    static let resolved = [
        RunBaseline.Entry(fingerprint: "ef", streamId: "s\"1\\/2", kind: "mismatch", field: "f\n\u{01}é", rule: "r", side: "db", severity: "warning",
                          firstSeenAt: "t\"0", firstSeenRunId: "r\\0"),
        RunBaseline.Entry(fingerprint: "01", streamId: "s", kind: "invariant_violation", field: nil, rule: "r😀", side: "chain", severity: "info",
                          firstSeenAt: "t1", firstSeenRunId: "r1"),
    ]

    /// Resolved entries are written by the fast writer too, into the report and the run row's envelope.
    @Test(arguments: [true, false])
    func resolvedEntriesMatchJSONEncoder(_ pretty: Bool) throws {
        var report = ReportTests.report
        report.resolved = Self.resolved + report.resolved
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: report.json(pretty: pretty), as: UTF8.self) == String(decoding: try encoder.encode(report), as: UTF8.self))
        guard !pretty else { return }
        var envelope = report
        envelope.discrepancies = []
        let whole = String(decoding: try encoder.encode(envelope), as: UTF8.self)
        #expect(report.envelopeJSON == whole.replacingOccurrences(of: #""discrepancies":[],"#, with: ""))
        #expect(try JSONDecoder().decode(RunReport.self, from: Data(report.envelopeJSON.utf8)).resolved == report.resolved)
    }

    /// Many discrepancies are written in two halves on two threads: still the same text, in order.
    @Test(arguments: [true, false])
    func manyDiscrepanciesMatchJSONEncoder(_ pretty: Bool) throws {
        var report = ReportTests.report
        report.discrepancies = (0..<12_345).map { index in
            Self.tricky[index % Self.tricky.count].with(streamId: "s\(index)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        let expected = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(String(decoding: report.json(pretty: pretty), as: UTF8.self) == expected)
    }
}

extension Finding {
    func with(streamId: String) -> Finding {
        var copy = self
        copy.streamId = streamId
        return copy
    }
}
