// Runs function code as local processes: one Runtime API listener per process, warm processes reused, at most
// `concurrency` per function, the timeout enforced by killing the process, and its output kept as the function's log.
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import WardenCore
import WardenServices
#if canImport(Glibc)
import Glibc
#endif

/// The function worker pool, a `Service` in the node's `ServiceGroup`. Each worker's Runtime API listener runs as a
/// child task of `run()` (through `listeners`, a BackgroundTasks of its own, since workers start from invocations on
/// any task); graceful shutdown stops every process, which ends its listener, and `run()` returns once the last has
/// ended. A worker's invocation-timeout watcher is a child task of the invocation instead (see `Worker.run`): it must
/// end as soon as the answer is in. The node's BackgroundTasks (which invoke functions) must stop before this does.
final class LocalFunctionRunner: FunctionRunner, Service {
    let concurrency: Int
    let bootstrapPath: String
    let logger: Logger
    private let pools = Mutex<[String: Pool]>([:])
    /// The workers' Runtime API listeners.
    let listeners: BackgroundTasks

    final class Pool: Sendable {
        let revision: String
        let workers = Mutex<[Worker]>([])
        init(revision: String) { self.revision = revision }
    }

    init(dataDir: String, concurrency: Int, logger: Logger) throws {
        self.concurrency = concurrency
        self.logger = logger
        listeners = BackgroundTasks(logger: logger)
        let dir = URL(fileURLWithPath: dataDir).appendingPathComponent("runtime")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("warden_python_bootstrap.py")
        try Data(PythonBootstrap.source.utf8).write(to: path)
        bootstrapPath = path.path
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await listeners.run()
        } onGracefulShutdown: {
            // `listeners` takes no new listener from now on (a worker starting now fails to start).
            self.stopAll()
        }
        // Cancelled rather than shut down: no process outlives the node either.
        stopAll()
    }

    func invoke(_ spec: FunctionSpec, payload: [UInt8], requestId: String, credentials: FunctionCredentials,
                endpoint: String) async throws -> FunctionResult {
        let (worker, fresh, stale) = try claim(spec)
        for w in stale { w.stop() }
        if fresh {
            do {
                try await worker.start(spec: spec, credentials: credentials, endpoint: endpoint, bootstrap: bootstrapPath)
            } catch {
                remove(worker, arn: spec.arn)
                throw AWSError(code: "ServiceException", status: 500, senderFault: false, message: "The function could not start: \(error)")
            }
        }
        let result = await worker.run(RuntimeInvocation(
            id: requestId, payload: payload,
            deadlineMillis: Int64(Date().timeIntervalSince1970 * 1000) + Int64(spec.timeoutSeconds) * 1000,
            functionArn: spec.invokedArn ?? spec.arn),
            timeout: spec.timeoutSeconds, memoryMB: spec.memoryMB)
        if !worker.isAlive { remove(worker, arn: spec.arn) }
        return result
    }

    /// An idle warm worker of this revision, or a new one while under the concurrency; workers of older revisions are
    /// returned to be stopped.
    func claim(_ spec: FunctionSpec) throws -> (Worker, fresh: Bool, stale: [Worker]) {
        try pools.withLock { pools in
            var stale: [Worker] = []
            if let old = pools[spec.arn], old.revision != spec.revision {
                stale = old.workers.withLock { $0 }
                pools[spec.arn] = nil
            }
            let pool = pools[spec.arn] ?? Pool(revision: spec.revision)
            pools[spec.arn] = pool
            return try pool.workers.withLock { workers in
                if let idle = workers.first(where: { $0.tryReserve() }) { return (idle, false, stale) }
                guard workers.count < concurrency else {
                    throw AWSError(code: "TooManyRequestsException", status: 429,
                                   message: "Rate Exceeded. The function is at its concurrency (\(concurrency) at once).")
                }
                let w = Worker(logger: logger, listeners: listeners)
                _ = w.tryReserve()
                workers.append(w)
                return (w, true, stale)
            }
        }
    }

    func remove(_ worker: Worker, arn: String) {
        pools.withLock { pools in
            pools[arn]?.workers.withLock { $0.removeAll { $0 === worker } }
        }
        worker.stop()
    }

    func retire(functionArn: String) async {
        let workers = pools.withLock { pools -> [Worker] in
            defer { pools[functionArn] = nil }
            return pools[functionArn]?.workers.withLock { $0 } ?? []
        }
        for w in workers { w.stop() }
    }

    /// Stops every process (shutdown).
    func stopAll() {
        let all = pools.withLock { pools -> [Worker] in
            defer { pools.removeAll() }
            return pools.values.flatMap { p in p.workers.withLock { $0 } }
        }
        for w in all { w.stop() }
    }
}

/// One process of a function and its Runtime API listener.
final class Worker: RuntimeAPIHandler, @unchecked Sendable {
    // @unchecked: the invocation state is behind `state`; `process`, `initStarted` and `memorySize` are set once, in
    // `start`, before the process exists to ask for work.
    struct State {
        var reserved = false
        var alive = true
        var initialized = false
        var waitingNext: CheckedContinuation<RuntimeInvocation?, Never>?
        var pending: RuntimeInvocation?
        var current: (invocation: RuntimeInvocation, done: CheckedContinuation<FunctionResult, Never>, logStart: Int, started: ContinuousClock.Instant)?
        var log: [UInt8] = []
        /// Set by the first `next` (a cold start), reported once in a REPORT line.
        var initDuration: Duration?
    }
    private let state = Mutex(State())
    /// The execution environment's id: its log stream's suffix.
    let instanceId = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    private var process: Process?
    private var initStarted = ContinuousClock.now
    private var memorySize = 128
    let logger: Logger
    /// Where the Runtime API listener runs (the runner's task group).
    let listeners: BackgroundTasks
    /// Finished by `stop()`: the listener then ends.
    private let listenerStop = AsyncStream.makeStream(of: Void.self)

    init(logger: Logger, listeners: BackgroundTasks) {
        self.logger = logger
        self.listeners = listeners
    }

    var isAlive: Bool { state.withLock { $0.alive } }

    func tryReserve() -> Bool {
        state.withLock { s in
            guard s.alive, !s.reserved else { return false }
            s.reserved = true
            return true
        }
    }

    func start(spec: FunctionSpec, credentials: FunctionCredentials, endpoint: String, bootstrap: String) async throws {
        memorySize = spec.memoryMB
        let portBox = Mutex<Int?>(nil)
        let ready = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: RuntimeAPIResponder(handler: self), server: .http1(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                portBox.withLock { $0 = port }
                ready.continuation.yield(port)
                ready.continuation.finish()
            },
            logger: Logger(label: "warden.runtime-api", factory: { _ in SwiftLogNoOpLogHandler() }))
        let (logger, functionArn) = (self.logger, spec.arn)
        let stopped = listenerStop.stream
        let accepted = listeners.submit("runtime-api") {
            // The listener lives until the worker stops (or the pool is cancelled).
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // A listener that ends (or never starts) must not leave `start` waiting for its port.
                    defer { ready.continuation.finish() }
                    do {
                        try await app.runService(gracefulShutdownSignals: [])
                    } catch {
                        // Cancellation is how a stopped worker's listener ends; anything else is a failure.
                        if !Task.isCancelled {
                            logger.error("a function's Runtime API listener failed", metadata: ["function": "\(functionArn)", "error": "\(error)"])
                        }
                    }
                }
                group.addTask { for await _ in stopped {} }
                await group.next()
                group.cancelAll()
            }
        }
        guard accepted else { throw OutboundError("Warden is shutting down") }
        var port = 0
        for await p in ready.stream { port = p }
        guard port > 0 else { throw OutboundError("the Runtime API listener did not start") }

        let p = Process()
        let python = spec.runtime.hasPrefix("python")
        if python {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", bootstrap]
        } else {
            p.executableURL = spec.codeDirectory.appendingPathComponent("bootstrap")
            p.arguments = []
        }
        p.currentDirectoryURL = spec.codeDirectory
        var env = spec.environment
        let inherited = ProcessInfo.processInfo.environment
        let stream = "\(Self.day())/[\(spec.version)]\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        env.merge([
            "PATH": inherited["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC",
            "HOME": inherited["HOME"] ?? "/tmp", "PYTHONUNBUFFERED": "1",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(port)", "_HANDLER": spec.handler,
            "LAMBDA_TASK_ROOT": spec.codeDirectory.path, "LAMBDA_RUNTIME_DIR": (bootstrap as NSString).deletingLastPathComponent,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name, "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(spec.memoryMB), "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/\(spec.name)", "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_REGION": spec.region, "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": python ? "AWS_Lambda_\(spec.runtime)" : "AWS_Lambda_\(spec.runtime)",
            "AWS_ACCESS_KEY_ID": credentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": credentials.secretAccessKey,
            "AWS_ENDPOINT_URL": endpoint, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        ]) { _, warden in warden }
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let data = h.availableData
            guard !data.isEmpty else {
                h.readabilityHandler = nil
                return
            }
            self?.state.withLock { s in
                s.log.append(contentsOf: data)
                // Keep the newest 1 MiB of output per process.
                if s.log.count > 2 * 1024 * 1024 {
                    let drop = s.log.count - 1024 * 1024
                    s.log.removeFirst(drop)
                    if let c = s.current { s.current?.logStart = max(0, c.logStart - drop) }
                }
            }
        }
        p.terminationHandler = { [weak self] proc in self?.exited(status: proc.terminationStatus) }
        initStarted = .now
        process = p
        do {
            try p.run()
        } catch {
            stop()
            throw error
        }
        // Retired while starting (its function changed or was deleted): nothing may outlive the stop.
        if !isAlive { stop() }
    }

    static func day() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy/MM/dd"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date())
    }

    /// Hands the invocation to the process and waits for its answer (or its timeout, or its death). The timeout
    /// watcher is a child task of the invocation: it ends with the answer. A caller cancelled while waiting (nobody
    /// waits for the answer any more, as when the node is cancelled) stops the process.
    func run(_ inv: RuntimeInvocation, timeout: Int, memoryMB: Int) async -> FunctionResult {
        let deadline = ContinuousClock.now + .seconds(timeout)
        let result = await withTaskGroup(of: Void.self, returning: FunctionResult.self) { watcher in
            watcher.addTask {
                do {
                    try await Task.sleep(until: deadline)
                } catch {
                    // Cancelled: the answer is in (then this finds nothing to do), or the caller was cancelled.
                    self.abandoned(inv.id)
                    return
                }
                self.timedOut(inv.id, seconds: timeout)
            }
            let answer = await withCheckedContinuation { (done: CheckedContinuation<FunctionResult, Never>) in
                let waiter = state.withLock { s -> CheckedContinuation<RuntimeInvocation?, Never>? in
                    guard s.alive else { return nil }
                    s.current = (inv, done, s.log.count, .now)
                    if let w = s.waitingNext {
                        s.waitingNext = nil
                        return w
                    }
                    s.pending = inv
                    return nil
                }
                if !isAlive {
                    done.resume(returning: Self.failure(inv.id, "Runtime.ExitError", "Runtime exited before the invocation", log: []))
                    return
                }
                waiter?.resume(returning: inv)
                // Cancelled before the invocation was current, the watcher may have looked too early: look again.
                if Task.isCancelled { abandoned(inv.id) }
            }
            watcher.cancelAll()
            return answer
        }
        state.withLock { $0.reserved = false }
        return result
    }

    static func failure(_ id: String, _ type: String, _ message: String, log: [UInt8]) -> FunctionResult {
        let body = JSONWriter.write(.object([("errorMessage", .string(message)), ("errorType", .string(type))]))
        return FunctionResult(payload: body, functionError: "Unhandled", log: log)
    }

    /// Completes the current invocation (if it is `id`), wrapping its output in Lambda's START/END/REPORT lines.
    private func finish(_ id: String?, payload: [UInt8], functionError: String?, extra: String = "") -> Bool {
        // Output written just before the answer may still sit in the pipe: give the reader a moment to take it.
        drainPipe()
        let taken = state.withLock { s -> (CheckedContinuation<FunctionResult, Never>, [UInt8], String, Duration, Duration?)? in
            guard let c = s.current, id == nil || c.invocation.id == id else { return nil }
            s.current = nil
            let output = Array(s.log[min(c.logStart, s.log.count)...])
            defer { s.initDuration = nil }
            return (c.done, output, c.invocation.id, ContinuousClock.now - c.started, s.initDuration)
        }
        guard let (done, output, rid, elapsed, initDuration) = taken else { return false }
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var text = "START RequestId: \(rid) Version: $LATEST\n"
        var log = Array(text.utf8) + output
        if !output.isEmpty && output.last != 0x0A { log.append(0x0A) }
        text = extra + "END RequestId: \(rid)\nREPORT RequestId: \(rid)\tDuration: \(String(format: "%.2f", ms)) ms\tBilled Duration: \(Int(ms.rounded(.up))) ms\tMemory Size: \(memorySize) MB\tMax Memory Used: \(maxMemoryMB()) MB\t"
        if let d = initDuration {
            let initMs = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
            text += "Init Duration: \(String(format: "%.2f", initMs)) ms\t"
        }
        log += Array((text + "\n").utf8)
        done.resume(returning: FunctionResult(payload: payload, functionError: functionError, log: log, instance: instanceId))
        return true
    }


    func maxMemoryMB() -> Int {
        guard let pid = process?.processIdentifier, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return max(1, kb / 1024)
    }

    func drainPipe() {
        guard let fd = (process?.standardOutput as? Pipe)?.fileHandleForReading.fileDescriptor else { return }
        for _ in 0..<50 {
            var pending: Int32 = 0
            guard ioctl(fd, UInt(FIONREAD), &pending) == 0, pending > 0 else { return }
            usleep(1000)
        }
    }

    // MARK: RuntimeAPIHandler

    func next() async -> RuntimeInvocation? {
        await withCheckedContinuation { (c: CheckedContinuation<RuntimeInvocation?, Never>) in
            let now: RuntimeInvocation?? = state.withLock { s in
                if !s.initialized {
                    s.initialized = true
                    s.initDuration = ContinuousClock.now - initStarted
                }
                guard s.alive else { return .some(nil) }
                if let p = s.pending {
                    s.pending = nil
                    return .some(p)
                }
                s.waitingNext?.resume(returning: nil)
                s.waitingNext = c
                return .none
            }
            if let now { c.resume(returning: now) }
        }
    }

    func response(id: String, body: [UInt8]) -> Bool { finish(id, payload: body, functionError: nil) }

    func error(id: String, body: [UInt8], type: String?) -> Bool {
        let payload = (try? JSONParser.parse(body)) != nil ? body : Self.failure(id, type ?? "Unhandled", String(decoding: body, as: UTF8.self), log: []).payload
        return finish(id, payload: payload, functionError: "Unhandled")
    }

    func initError(body: [UInt8], type: String?) {
        let payload = (try? JSONParser.parse(body)) != nil ? body : Self.failure("", type ?? "Runtime.Unknown", "init failed", log: []).payload
        _ = finish(nil, payload: payload, functionError: "Unhandled")
        stop()
    }

    // MARK: ending

    func timedOut(_ id: String, seconds: Int) {
        let isCurrent = state.withLock { $0.current?.invocation.id == id }
        guard isCurrent else { return }
        let message = "\(Self.timestamp()) \(id) Task timed out after \(String(format: "%.2f", Double(seconds))) seconds\n"
        let payload = JSONWriter.write(.object([("errorMessage", .string("\(Self.timestamp()) \(id) Task timed out after \(String(format: "%.2f", Double(seconds))) seconds")),
                                                ("errorType", .string("Sandbox.Timedout"))]))
        stop()
        _ = finish(id, payload: payload, functionError: "Unhandled", extra: message)
    }

    static func timestamp() -> String { Timestamps.iso8601(Date()) }

    /// The caller stopped waiting for invocation `id`: its process is stopped and the invocation fails.
    func abandoned(_ id: String) {
        let isCurrent = state.withLock { $0.current?.invocation.id == id }
        guard isCurrent else { return }
        stop()
        _ = finish(id, payload: Self.failure(id, "Runtime.Cancelled", "The invocation was cancelled.", log: []).payload,
                   functionError: "Unhandled")
    }

    func exited(status: Int32) {
        let wasAlive = state.withLock { s -> Bool in
            defer { s.alive = false }
            return s.alive
        }
        _ = finish(nil, payload: Self.failure("", "Runtime.ExitError", "RequestId: Error: Runtime exited with error: exit status \(status)", log: []).payload,
                   functionError: "Unhandled")
        if wasAlive { stop() }
    }

    /// Kills the process and closes its listener; a runtime waiting for work is told to stop.
    func stop() {
        let waiter = state.withLock { s -> CheckedContinuation<RuntimeInvocation?, Never>? in
            s.alive = false
            defer { s.waitingNext = nil }
            return s.waitingNext
        }
        waiter?.resume(returning: nil)
        if let p = process, p.isRunning { kill(p.processIdentifier, SIGKILL) }
        listenerStop.continuation.finish()
    }
}

struct OutboundError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
