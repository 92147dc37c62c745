import Foundation
import Reconciliation
import Synchronization
import UnixSignals

/// What SIGTERM, SIGINT and SIGHUP do at each point of `streamrecon run`, trapped for the whole
/// command: before the run starts, end the process (nothing is recorded yet); during the run,
/// stop it (it ends `aborted`, and is recorded so), and a second signal ends the process at once,
/// marking the run `aborted` itself; while the report is being written (the run is recorded),
/// end the process. Each end removes the unfinished report file, and exits 3.
final class SignalStop: Sendable {
    enum Phase: Sendable {
        case starting
        /// The run's task, and how to mark its record aborted (nil for a dry run).
        case running(Task<RunCommandEnded, Never>, abort: (@Sendable (_ reason: String) async -> Bool)?)
        /// The run is recorded and its alert is being sent: a signal stops the alert (its row
        /// says `stopped`), a second ends the process.
        case alerting(Task<RunCommandEnded, Never>, recorded: String)
        /// The run is over; the text says how it was recorded.
        case finishing(recorded: String)
    }

    private struct State {
        var phase = Phase.starting
        var signal: UnixSignal?
        var cleanups: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())
    private let watcher = Mutex<Task<Void, Never>?>(nil)

    /// Traps the signals until `stop()`.
    init() async {
        let trapped = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup)
        watcher.withLock { $0 = Task { for await signal in trapped { await self.received(signal) } } }
    }

    func stop() { watcher.withLock { $0?.cancel() } }

    /// The signal that stopped the run, if one did.
    var signal: UnixSignal? { state.withLock { $0.signal } }

    func set(_ phase: Phase) {
        let stopNow = state.withLock { state -> Bool in
            state.phase = phase
            return state.signal != nil
        }
        // A signal that came before the run's task was known stops it now.
        if stopNow, case .running(let task, _) = phase { task.cancel() }
        if stopNow, case .alerting(let task, _) = phase { task.cancel() }
    }

    /// Runs `cleanup` when a signal ends the process (the unfinished report, a scratch DB).
    func onExit(_ cleanup: @escaping @Sendable () -> Void) {
        state.withLock { $0.cleanups.append(cleanup) }
    }

    private func received(_ signal: UnixSignal) async {
        let (phase, first, cleanups) = state.withLock { state in
            let first = state.signal == nil
            if first { state.signal = signal }
            return (state.phase, first, state.cleanups)
        }
        switch (phase, first) {
        case (.running(let task, _), true), (.alerting(let task, _), true):
            task.cancel()
            return
        case (.alerting(_, let recorded), false):
            Terminal.printError("error: stopped by a second \(signal) while the alert was sent; the run \(recorded); its alert may show no outcome")
        case (.starting, _):
            Terminal.printError("error: stopped by \(signal) before the run started; nothing was recorded")
        case (.running(_, let abort), false):
            let reason = "stopped by a second \(signal) before the run's record was completed"
            if let abort {
                let marked = await abort(reason)
                Terminal.printError("error: \(reason); " + (marked ? "the run was marked aborted"
                    : "the run could not be marked aborted now: a later run marks it aborted once its lease runs out"))
            } else {
                Terminal.printError("error: \(reason) (a dry run: nothing was recorded)")
            }
        case (.finishing(let recorded), _):
            Terminal.printError("error: stopped by \(signal) while the report was written; the run \(recorded)")
        }
        for cleanup in cleanups { cleanup() }
        exit(ExitStatus.failed)
    }
}
