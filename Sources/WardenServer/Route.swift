// Which service, operation and wire protocol a request is for (PROTOCOLS.md §5).
import WardenCore
import WardenProtocol

/// The outcome of routing: enough to render any error in the right protocol, and the operation if found.
struct Route {
    enum Wire {
        case json(contentType: String)
        case query(xmlNamespace: String?)
        /// REST-JSON: the path's labels and the query's parameters.
        case rest(labels: [String: String], query: [String: [String]])
        /// Smithy RPC v2 CBOR.
        case cbor
    }

    var wire: Wire
    var service: ServiceDescriptor?
    var operationName: String
    var operation: AnyOperation?
    /// Query parameters (Query protocol only).
    var params: [String: String] = [:]
    /// Set when the request cannot go further (unknown target, malformed form…).
    var failure: AWSError?

    var family: ProtocolFamily {
        if case .query = wire { return .query }
        return .json
    }

    var eventSource: String { service?.eventSource ?? "warden.amazonaws.com" }

    /// The operation as a metrics label: only names the model knows, so clients cannot mint label values.
    var metricsOperation: String {
        service?.model.operationNames.contains(operationName) == true ? operationName : "unknown"
    }

    /// Operation names come from the client (`Action`, `X-Amz-Target`): bounded before they reach logs and records.
    static func clip(_ name: String) -> String { name.utf8.count <= 128 ? name : String(decoding: name.utf8.prefix(128), as: UTF8.self) }
}

/// The services mounted on the port, indexed the ways requests name them.
struct ServiceTable: Sendable {
    let byTargetPrefix: [String: ServiceDescriptor]
    let bySigningName: [String: ServiceDescriptor]
    let queryServices: [ServiceDescriptor]

    init(_ services: [ServiceDescriptor]) {
        var t: [String: ServiceDescriptor] = [:]
        var s: [String: ServiceDescriptor] = [:]
        var q: [ServiceDescriptor] = []
        for d in services {
            switch d.model.wireProtocol {
            case .json(_, let prefix): t[prefix] = d
            case .query: q.append(d)
            case .restJSON: break
            }
            if d.model.legacyQuery != nil { q.append(d) }
            s[d.model.signingName] = d
        }
        byTargetPrefix = t
        bySigningName = s
        queryServices = q
    }

    /// The fields of the SigV4 credential scope (`AKID/date/region/service/aws4_request`), from the Authorization
    /// header or a presigned query; nil when absent or not five fields.
    static func credentialScope(_ request: WardenRequest) -> [Substring]? {
        var credential: Substring?
        if let auth = request.header("authorization") {
            let u = auth.utf8
            guard let r = u.firstRange(of: "Credential=".utf8) else { return nil }
            let end = u[r.upperBound...].firstIndex { $0 == 0x2C || $0 == 0x20 } ?? u.endIndex
            credential = auth[r.upperBound..<end]
        } else if let r = request.query.utf8.firstRange(of: "X-Amz-Credential=".utf8) {
            let u = request.query.utf8
            let end = u[r.upperBound...].firstIndex(of: 0x26) ?? u.endIndex
            credential = Substring(PercentEncoding.decodeForm(ArraySlice(u[r.upperBound..<end])) ?? "")
        }
        guard let credential else { return nil }
        var parts: [Substring] = []
        var start = credential.startIndex
        for idx in credential.utf8.indices where credential.utf8[idx] == 0x2F {
            parts.append(credential[start..<idx])
            start = credential.utf8.index(after: idx)
        }
        parts.append(credential[start...])
        return parts.count == 5 ? parts : nil
    }

    static func scopeRegion(_ request: WardenRequest) -> String? { credentialScope(request).map { String($0[2]) } }

    /// `signing` is the service name of the request's credential scope, when it has one.
    func route(_ request: WardenRequest, signing: String?) -> Route {
        if request.header("smithy-protocol") == "rpc-v2-cbor" {
            return routeCBOR(request)
        }
        if let target = request.header("x-amz-target") {
            return routeJSON(request, target: target)
        }
        if let signing, let service = bySigningName[signing], service.model.wireProtocol == .restJSON {
            return routeREST(request, service: service)
        }
        let contentType = request.header("content-type") ?? ""
        let isForm = request.method == "POST" && contentType.lowercased().hasPrefix("application/x-www-form-urlencoded")
        let paramBytes: [UInt8] = isForm ? request.body : Array(request.query.utf8)
        guard let params = QueryProtocol.parseForm(paramBytes) else {
            let ns = signing.flatMap { bySigningName[$0] }.flatMap(Self.namespace)
            return Route(wire: .query(xmlNamespace: ns), service: signing.flatMap { bySigningName[$0] }, operationName: "Unknown",
                         failure: AWSError(code: "MalformedQueryString", status: 400,
                                           message: "The request contains malformed percent-encoding or invalid UTF-8."))
        }
        let action = params["Action"]
        var service: ServiceDescriptor?
        if let signing {
            service = bySigningName[signing]
        } else if let action {
            service = queryServices.first { $0.model.operationNames.contains(action) }
        }
        if contentType.lowercased().hasPrefix("application/x-amz-json") {
            // A JSON body with no target: nothing to dispatch on.
            return Route(wire: .json(contentType: contentType), service: service, operationName: "Unknown",
                         failure: AWSError(code: "UnknownOperationException", status: 400, message: "Missing X-Amz-Target header."))
        }
        guard let service, case .query(let version, _)? = Self.queryProtocol(service) else {
            // No Query service here answers this request. (A request without any signature never gets this far:
            // authentication fails first.)
            let failure = AWSError(code: "InvalidAction", status: 400, message: signing.map {
                "Warden does not serve the service '\($0)' over the Query protocol."
            } ?? "Could not route the request to a service.")
            return Route(wire: .query(xmlNamespace: service.flatMap(Self.namespace)), service: service,
                         operationName: Route.clip(action ?? "Unknown"), params: params, failure: failure)
        }
        var route = Route(wire: .query(xmlNamespace: Self.namespace(service)), service: service,
                          operationName: Route.clip(action ?? "Unknown"), params: params)
        guard let action, !action.isEmpty else {
            route.failure = AWSError(code: "MissingAction", status: 400, message: "Missing Action")
            return route
        }
        guard let op = service.operations[action] else {
            // SQS's own words are recorded; for the other Query services AWS's text is not known to us.
            let message = service.model.legacyQuery != nil ? "The action \(action) is not valid for this endpoint."
                : "Could not find operation \(action) for version \(params["Version"] ?? version)"
            route.failure = AWSError(code: "InvalidAction", status: 400, message: message)
            return route
        }
        route.operation = op
        if service.model.legacyQuery != nil, route.params["QueueUrl"] == nil, op.inputShape.member(named: "QueueUrl") != nil,
           let url = Self.queueURL(request) {
            // Legacy SQS clients POST to the queue's URL and leave `QueueUrl` out.
            route.params["QueueUrl"] = url
        }
        return route
    }

    /// The Query protocol a service answers: its own, or the one a JSON service spoke before (SQS).
    static func queryProtocol(_ d: ServiceDescriptor) -> WireProtocol? {
        if case .query = d.model.wireProtocol { return d.model.wireProtocol }
        return d.model.legacyQuery
    }

    static func namespace(_ d: ServiceDescriptor) -> String? {
        if case .query(_, let ns)? = queryProtocol(d) { return ns }
        return nil
    }

    /// `http(s)://host/<account>/<queue>` for a request sent to a queue's path, nil for any other path.
    static func queueURL(_ request: WardenRequest) -> String? {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, parts[1].count == 12, parts[1].allSatisfy(\.isNumber), !parts[2].isEmpty,
              let host = request.header("host") else { return nil }
        return "\(request.tls == nil ? "http" : "https")://\(host)\(request.path)"
    }

    /// REST-JSON: the operation whose method and path template match (literal segments beat labels, as the
    /// longest template wins among several).
    func routeREST(_ request: WardenRequest, service: ServiceDescriptor) -> Route {
        guard let query = RestJSONProtocol.parseQuery(request.query) else {
            return Route(wire: .rest(labels: [:], query: [:]), service: service, operationName: "Unknown",
                         failure: AWSError(code: "SerializationException", status: 400, message: "Malformed query string."))
        }
        var best: (name: String, labels: [String: String], score: Int)?
        var pathMatched = false
        for (name, binding) in service.model.httpBindings {
            guard let labels = RestJSONProtocol.match(template: binding.requestUri, path: request.path, query: query) else { continue }
            pathMatched = true
            guard binding.method == request.method else { continue }
            let score = binding.requestUri.count - labels.count * 100
            if let b = best, b.score >= score { continue }
            best = (name, labels, score)
        }
        guard let best, let op = service.operations[best.name] else {
            let failure = pathMatched && best == nil
                ? AWSError(code: "MethodNotAllowedException", status: 405, message: "The \(request.method) method is not allowed here.")
                : AWSError(code: "UnknownOperationException", status: 404, message: "No operation at \(request.method) \(Route.clip(request.path)).")
            return Route(wire: .rest(labels: [:], query: query), service: service,
                         operationName: best.map { $0.name } ?? "Unknown", failure: failure)
        }
        var route = Route(wire: .rest(labels: best.labels, query: query), service: service, operationName: best.name)
        route.operation = op
        return route
    }

    /// RPC v2 CBOR: `POST /service/<ServiceName>/operation/<Operation>`, the service named by its target prefix.
    func routeCBOR(_ request: WardenRequest) -> Route {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
        let name = parts.count == 5 ? Route.clip(String(parts[4])) : "Unknown"
        guard request.method == "POST", parts.count == 5, parts[0].isEmpty, parts[1] == "service", parts[3] == "operation",
              let service = byTargetPrefix[String(parts[2])], service.model.rpcV2CBOR else {
            return Route(wire: .cbor, service: nil, operationName: name,
                         failure: AWSError(code: "UnknownOperationException", status: 404, message: "No RPC v2 CBOR service at \(Route.clip(request.path))."))
        }
        var route = Route(wire: .cbor, service: service, operationName: name)
        guard let op = service.operations[name] else {
            route.failure = AWSError(code: "UnknownOperationException", status: 404, message: "Unknown operation \(name).")
            return route
        }
        route.operation = op
        return route
    }

    func routeJSON(_ request: WardenRequest, target: String) -> Route {
        let ct = request.header("content-type") ?? ""
        let contentType = ct.hasPrefix("application/x-amz-json-1.0") ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1"
        let dot = target.lastIndex(of: ".")
        let prefix = dot.map { String(target[..<$0]) } ?? target
        let name = dot.map { String(target[target.index(after: $0)...]) } ?? ""
        guard let service = byTargetPrefix[prefix] else {
            return Route(wire: .json(contentType: contentType), service: nil, operationName: name.isEmpty ? "Unknown" : Route.clip(name),
                         failure: AWSError(code: "UnknownOperationException", status: 400,
                                           message: "The target \(target) is not served here."))
        }
        var route = Route(wire: .json(contentType: contentType), service: service, operationName: Route.clip(name))
        guard let op = service.operations[name] else {
            route.failure = AWSError(code: "UnknownOperationException", status: 400, message: "Unknown operation \(name).")
            return route
        }
        route.operation = op
        return route
    }
}
