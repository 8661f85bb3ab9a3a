import CShim
import Glibc

/// A system call that failed, named with its arguments: "mount(proc, /proc, proc, 0): EPERM".
public struct SystemCallError: MessageError, Equatable, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32
    /// Said instead of the errno name, for a call that "succeeded" without effect.
    public let detail: Message?
    /// The kernel refused, or only pretended, to make or join a namespace: the isolation the
    /// lesson asserts is not there (a failed check). Otherwise the runner itself could not go on.
    public let kernelRefused: Bool

    public init(_ call: String, errno: Int32, detail: Message? = nil, kernelRefused: Bool = false) {
        self.call = call
        self.errno = errno
        self.detail = detail
        self.kernelRefused = kernelRefused
    }

    public var errnoName: String { Experiments.errnoName(errno) }
    public var description: String { message.english }
    /// The call as it is, then what came of it: an errno's name as it is, or a sentence.
    public var message: Message { labText.failedCall(call, detail ?? .verbatim(errnoName)) }
}

/// The symbolic name of an errno value: "EPERM".
public func errnoName(_ number: Int32) -> String {
    nslab_errno_name(number).map { String(cString: $0) } ?? "errno \(number)"
}

/// Calls `body` and throws a SystemCallError naming `call` when it returns -1.
@discardableResult
func check(_ call: @autoclosure () -> String, _ body: () -> Int32) throws(SystemCallError) -> Int32 {
    let result = body()
    if result == -1 { throw SystemCallError(call(), errno: errno) }
    return result
}

/// An experiment could not go on: a timeout, a probe that printed no report, a bad setup.
public struct LabError: MessageError, CustomStringConvertible, Sendable {
    public let message: Message
    public init(_ message: Message) { self.message = message }
    public var description: String { message.english }
}
