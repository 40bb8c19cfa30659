import CNGHTTP2
import Glibc
import Synchronization

/// Something that owns a file descriptor in an event loop's epoll set.
protocol EventHandler: AnyObject {
    /// Called on the loop thread with the epoll event bits that fired.
    func handleEvents(_ events: UInt32)
}

/// A thread that waits on epoll and runs everything that touches its connections.
///
/// Ownership: every connection, nghttp2 session and timer registered with a loop is
/// touched only on the loop's thread. Other threads hand the loop work with
/// `execute`, which queues a job and wakes the thread through an eventfd.
///
/// The job queue has no fixed capacity, but every producer bounds its own entries:
/// a call holds at most one queued job at a time (its `scheduled` flag), a connection
/// hand-off is one job per accepted socket (bounded by the server's connection limit),
/// and shutdown adds one job per loop. So the queue never holds more than one job per
/// open call plus one per connection.
final class EventLoop: @unchecked Sendable {
    // Invariant for @unchecked Sendable: `jobs` is behind a Mutex; every other stored
    // property is only read or written on the loop thread (after `start`), except the
    // immutable file descriptors.

    /// The loop's name in logs, such as `loop-0`.
    let name: String
    private let epollFD: Int32
    private let wakeFD: Int32
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private var handlers: [Int32: EventHandler] = [:]
    private var timers = TimerHeap()
    private var running = true
    private var afterTurn: [() -> Void] = []
    private let stopped = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>(
        (false, []))

    /// Creates the epoll set and the wake-up eventfd; the thread starts with `start`.
    init(name: String) throws(RPCError) {
        self.name = name
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard epollFD >= 0, wakeFD >= 0 else {
            throw RPCError(
                code: .unavailable, message: "cannot create an event loop: \(errnoText())")
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
    }

    deinit {
        close(epollFD)
        close(wakeFD)
    }

    /// Starts the loop's thread.
    func start() {
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let result = pthread_create(
            &handle, nil,
            { argument in
                let loop = Unmanaged<EventLoop>.fromOpaque(argument!).takeRetainedValue()
                nameCurrentThread(loop.name)
                loop.run()
                return nil
            }, box.toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(handle)
    }

    /// Queues `job` to run on the loop thread and wakes the loop if it was idle.
    func execute(_ job: @escaping @Sendable () -> Void) {
        let wasEmpty = jobs.withLock { queue in
            queue.append(job)
            return queue.count == 1
        }
        if wasEmpty {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    /// Runs `work` once the current turn's callbacks are done, before the loop sleeps;
    /// connections use it to write everything a turn produced with one flush.
    func runAfterTurn(_ work: @escaping () -> Void) {
        afterTurn.append(work)
    }

    /// Adds `fd` to the epoll set. Loop thread only.
    func register(_ fd: Int32, events: UInt32, handler: EventHandler) {
        handlers[fd] = handler
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
    }

    /// Changes the events `fd` waits for. Loop thread only.
    func modify(_ fd: Int32, events: UInt32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Removes `fd` from the epoll set; the caller closes it. Loop thread only.
    func deregister(_ fd: Int32) {
        handlers[fd] = nil
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    /// Runs `action` on the loop at `deadline` (monotonic nanoseconds) unless cancelled.
    /// Loop thread only.
    @discardableResult
    func schedule(at deadline: UInt64, _ action: @escaping () -> Void) -> TimerHeap.ID {
        timers.insert(deadline: deadline, action: action)
    }

    /// Cancels a timer; a timer already fired or cancelled is ignored. Loop thread only.
    func cancelTimer(_ id: TimerHeap.ID?) {
        if let id { timers.cancel(id) }
    }

    /// Ends the loop after its current turn. Loop thread only.
    func stop() {
        running = false
    }

    /// Waits until the loop's thread has returned.
    func waitUntilStopped() async {
        await withCheckedContinuation { continuation in
            let done = stopped.withLock { state in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while running {
            let timeout = timers.millisecondsUntilNext(now: Monotonic.now())
            let count = events.withUnsafeMutableBufferPointer { buffer in
                epoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            if count < 0 && errno != EINTR {
                break
            }
            for index in 0..<max(0, Int(count)) {
                let fd = events[index].data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    continue
                }
                let handler = handlers[fd]
                handler?.handleEvents(events[index].events)
            }
            runJobs()
            for action in timers.takeDue(now: Monotonic.now()) {
                action()
            }
            runAfterTurnWork()
        }
        let waiters = stopped.withLock { state in
            state.done = true
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters {
            waiter.resume()
        }
    }

    private func runJobs() {
        // Jobs queued while these run wait for the next turn, so a busy producer cannot
        // starve the sockets.
        let batch = jobs.withLock { queue in
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            return batch
        }
        for job in batch {
            job()
        }
    }

    private func runAfterTurnWork() {
        while !afterTurn.isEmpty {
            let work = afterTurn
            afterTurn.removeAll(keepingCapacity: true)
            for item in work {
                item()
            }
        }
    }
}

/// Timers of one event loop: a binary min-heap of deadlines, with cancellation by id.
///
/// Bounded by the live timers of the loop's connections and calls: each call holds at
/// most one deadline timer, each connection at most two keepalive timers.
struct TimerHeap {
    /// Identifies a scheduled timer for cancellation.
    typealias ID = Int

    private var heap: [(deadline: UInt64, id: ID)] = []
    private var actions: [ID: () -> Void] = [:]
    private var nextID: ID = 1

    /// Adds a timer and returns its id.
    mutating func insert(deadline: UInt64, action: @escaping () -> Void) -> ID {
        let id = nextID
        nextID += 1
        actions[id] = action
        heap.append((deadline, id))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].deadline <= heap[child].deadline { break }
            heap.swapAt(parent, child)
            child = parent
        }
        return id
    }

    /// Forgets a timer's action; its heap entry is dropped when it reaches the top.
    mutating func cancel(_ id: ID) {
        actions[id] = nil
    }

    /// The epoll timeout until the earliest live timer: -1 when there is none.
    mutating func millisecondsUntilNext(now: UInt64) -> Int32 {
        while let top = heap.first, actions[top.id] == nil {
            popTop()
        }
        guard let top = heap.first else { return -1 }
        if top.deadline <= now { return 0 }
        let millis = (top.deadline - now + 999_999) / 1_000_000
        return Int32(min(millis, 60_000))
    }

    /// Removes and returns the actions of every timer whose deadline has passed; the
    /// caller runs them, free to schedule and cancel timers meanwhile.
    mutating func takeDue(now: UInt64) -> [() -> Void] {
        var due: [() -> Void] = []
        while let top = heap.first, top.deadline <= now {
            popTop()
            if let action = actions.removeValue(forKey: top.id) {
                due.append(action)
            }
        }
        return due
    }

    private mutating func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline {
                smallest = left
            }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline {
                smallest = right
            }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// The monotonic clock in nanoseconds, as the loops' timers count.
enum Monotonic {
    /// Nanoseconds since an arbitrary fixed point.
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// `now() + duration`, saturating instead of overflowing.
    static func after(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 { return now() }
        if seconds > 1_000_000_000 { return UInt64.max / 2 }
        let nanos = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        return now() + nanos
    }
}

/// The text of the current `errno`, for error messages.
func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}

/// Names the calling thread as `top -H`, `ps -L` and profilers show it (at
/// most 15 bytes are kept). Glibc's `pthread_setname_np` is not visible to
/// Swift, and a name set through Foundation's `Thread` does not reach the
/// kernel here; the thread's own `comm` file does.
func nameCurrentThread(_ name: String) {
    guard let file = fopen("/proc/thread-self/comm", "w") else { return }
    fputs(String(decoding: name.utf8.prefix(15), as: UTF8.self), file)
    fclose(file)
}
