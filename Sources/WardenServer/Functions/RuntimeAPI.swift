// The Lambda Runtime API one worker process talks to (`AWS_LAMBDA_RUNTIME_API`): a loopback listener of its own, so
// Warden always knows which process asks for work and which process answers.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WardenCore

/// The requests a runtime makes, as the worker sees them.
protocol RuntimeAPIHandler: Sendable {
    /// Blocks until there is an invocation for this process.
    func next() async -> RuntimeInvocation?
    func response(id: String, body: [UInt8]) -> Bool
    func error(id: String, body: [UInt8], type: String?) -> Bool
    func initError(body: [UInt8], type: String?)
}

struct RuntimeInvocation: Sendable {
    var id: String
    var payload: [UInt8]
    var deadlineMillis: Int64
    var functionArn: String
}

struct RuntimeAPIResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let handler: any RuntimeAPIHandler

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = (request.head.path ?? "/").split(separator: "?").first.map(String.init) ?? "/"
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "2018-06-01", parts[1] == "runtime" else { return Self.status(404, "not found") }
        let body = Array((try? await request.body.collect(upTo: 7 * 1024 * 1024))?.readableBytesView ?? ByteBuffer().readableBytesView)
        let errorType = request.headers[HTTPField.Name("Lambda-Runtime-Function-Error-Type")!]
        switch (request.method, parts.dropFirst(2).joined(separator: "/")) {
        case (.get, "invocation/next"):
            guard let inv = await handler.next() else { return Self.status(410, "worker stopped") }
            var fields = HTTPFields()
            fields.append(HTTPField(name: HTTPField.Name("Lambda-Runtime-Aws-Request-Id")!, value: inv.id))
            fields.append(HTTPField(name: HTTPField.Name("Lambda-Runtime-Deadline-Ms")!, value: String(inv.deadlineMillis)))
            fields.append(HTTPField(name: HTTPField.Name("Lambda-Runtime-Invoked-Function-Arn")!, value: inv.functionArn))
            fields.append(HTTPField(name: HTTPField.Name("Lambda-Runtime-Trace-Id")!, value: "Root=1-\(String(inv.deadlineMillis / 1000, radix: 16))-\(inv.id.replacingOccurrences(of: "-", with: "").prefix(24));Sampled=0"))
            fields.append(HTTPField(name: .contentType, value: "application/json"))
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: inv.payload)))
        case (.post, "init/error"):
            handler.initError(body: body, type: errorType)
            return Self.status(202, "OK")
        case (.post, let rest) where rest.hasPrefix("invocation/") && parts.count == 5:
            let id = parts[3]
            let ok = parts[4] == "response" ? handler.response(id: id, body: body)
                : parts[4] == "error" ? handler.error(id: id, body: body, type: errorType) : false
            return ok ? Self.status(202, "OK") : Self.status(400, "InvalidRequestID")
        default:
            return Self.status(404, "not found")
        }
    }

    static func status(_ code: Int, _ text: String) -> Response {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .contentType, value: "application/json"))
        let body = JSONWriter.write(.object([("status", .string(text))]))
        return Response(status: .init(code: code), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
