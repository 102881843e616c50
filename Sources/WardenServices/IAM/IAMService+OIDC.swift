// OpenID Connect identity providers (for sts:AssumeRoleWithWebIdentity).
import Foundation
import WardenAPI
import WardenCore
import WardenStorage

extension IAMService {
    /// `https://host/path` → `host/path`, the provider's key and the end of its ARN (recorded: anything else is invalid).
    static func oidcKey(_ url: String) throws -> String {
        guard url.lowercased().hasPrefix("https://") else { throw validation("Invalid Open ID Connect Provider URL") }
        var key = String(url.dropFirst("https://".count))
        while key.hasSuffix("/") { key.removeLast() }
        guard !key.isEmpty, !key.hasPrefix("/"), !key.contains("?"), !key.contains("#"), !key.contains(" ") else {
            throw validation("Invalid Open ID Connect Provider URL")
        }
        return key
    }

    static func oidcArn(_ c: RequestContext, _ key: String) -> String { "arn:\(c.partition.rawValue):iam::\(c.account):oidc-provider/\(key)" }

    /// The provider key an ARN of the caller's account names (nil for any other ARN).
    static func oidcKey(arn: String, _ c: RequestContext) -> String? {
        guard let parsed = ARN(arn), parsed.service == "iam", parsed.account == c.account, parsed.resource.hasPrefix("oidc-provider/") else {
            return nil
        }
        let key = String(parsed.resource.dropFirst("oidc-provider/".count))
        return key.isEmpty ? nil : key
    }

    /// Recorded from IAM (GetOpenIDConnectProvider).
    static func noSuchOIDC(_ arn: String) -> AWSError {
        IAM.Errors.noSuchEntityException("OpenIDConnect Provider not found for arn \(arn)")
    }

    /// Texts recorded from IAM.
    static func checkOIDCLists(clientIds: [String], thumbprints: [String]) throws {
        guard thumbprints.count <= 5 else { throw IAM.Errors.invalidInputException("Thumbprint list must contain fewer than 5 entries.") }
        guard clientIds.count <= 100 else { throw limit("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100") }
    }

    static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }

    /// Reads, changes and writes a provider in one transaction.
    func changeOIDC(_ arn: String, _ c: RequestContext, _ change: @escaping @Sendable (inout IAMOIDCDoc) throws -> Void) async throws {
        try await write(c) { t in
            guard let key = Self.oidcKey(arn: arn, c), var row = try await t.oidcProvider(url: key) else { throw Self.noSuchOIDC(arn) }
            var doc = try IAMJSON.decode(IAMOIDCDoc.self, row.doc)
            try change(&doc)
            row.doc = IAMJSON.encode(doc)
            try await t.update(row)
        }
    }

    func createOpenIDConnectProvider(_ input: IAM.CreateOpenIDConnectProviderRequest,
                                     context c: RequestContext) async throws -> IAM.CreateOpenIDConnectProviderResponse {
        let key = try Self.oidcKey(input.url)
        let clientIds = Self.unique(input.clientIDList ?? [])
        let thumbprints = input.thumbprintList ?? []
        try Self.checkOIDCLists(clientIds: clientIds, thumbprints: thumbprints)
        let tags = try Self.merge([], input.tags ?? [], caseSensitive: false)
        let row = IAMOIDCRow(url: key, createdAtMillis: nowMillis,
                             doc: IAMJSON.encode(IAMOIDCDoc(clientIds: clientIds, thumbprints: thumbprints, tags: tags.isEmpty ? nil : tags)))
        try await write(c) { t in
            // AWS's text for this case is not known.
            guard try await t.oidcProviders().count < 100 else {
                throw Self.limit("Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100")
            }
            // Recorded from IAM.
            guard try await t.insert(row) else { throw IAM.Errors.entityAlreadyExistsException("Provider with url \(input.url) already exists.") }
        }
        return IAM.CreateOpenIDConnectProviderResponse(openIDConnectProviderArn: Self.oidcArn(c, key), tags: Self.optionalShapes(tags))
    }

    func getOpenIDConnectProvider(_ input: IAM.GetOpenIDConnectProviderRequest,
                                  context c: RequestContext) async throws -> IAM.GetOpenIDConnectProviderResponse {
        let arn = input.openIDConnectProviderArn
        let row = try await read(c) { t -> IAMOIDCRow in
            guard let key = Self.oidcKey(arn: arn, c), let found = try await t.oidcProvider(url: key) else { throw Self.noSuchOIDC(arn) }
            return found
        }
        let doc = try IAMJSON.decode(IAMOIDCDoc.self, row.doc)
        // Recorded: Url without its scheme, and empty ClientIDList and Tags present.
        return IAM.GetOpenIDConnectProviderResponse(url: row.url, clientIDList: doc.clientIds, thumbprintList: doc.thumbprints,
                                                    createDate: Self.date(row.createdAtMillis), tags: Self.shapes(doc.tags ?? []))
    }

    func listOpenIDConnectProviders(_ input: IAM.ListOpenIDConnectProvidersRequest,
                                    context c: RequestContext) async throws -> IAM.ListOpenIDConnectProvidersResponse {
        let rows = try await read(c) { t in try await t.oidcProviders() }
        return IAM.ListOpenIDConnectProvidersResponse(openIDConnectProviderList: rows.map {
            IAM.OpenIDConnectProviderListEntry(arn: Self.oidcArn(c, $0.url))
        })
    }

    func deleteOpenIDConnectProvider(_ input: IAM.DeleteOpenIDConnectProviderRequest, context c: RequestContext) async throws -> EmptyShape {
        let arn = input.openIDConnectProviderArn
        try await write(c) { t in
            guard let key = Self.oidcKey(arn: arn, c), try await t.oidcProvider(url: key) != nil else {
                // Recorded from IAM (a second delete of the same provider).
                throw IAM.Errors.noSuchEntityException("OpenId connect Provider \(arn) cannot be found.")
            }
            try await t.deleteOIDCProvider(url: key)
        }
        return EmptyShape()
    }

    func addClientIDToOpenIDConnectProvider(_ input: IAM.AddClientIDToOpenIDConnectProviderRequest,
                                            context c: RequestContext) async throws -> EmptyShape {
        let clientID = input.clientID
        // AWS's text for a missing provider here is not known; GetOpenIDConnectProvider's is used.
        try await changeOIDC(input.openIDConnectProviderArn, c) { doc in
            guard !doc.clientIds.contains(clientID) else { return }
            doc.clientIds.append(clientID)
            try Self.checkOIDCLists(clientIds: doc.clientIds, thumbprints: doc.thumbprints)
        }
        return EmptyShape()
    }

    func removeClientIDFromOpenIDConnectProvider(_ input: IAM.RemoveClientIDFromOpenIDConnectProviderRequest,
                                                 context c: RequestContext) async throws -> EmptyShape {
        let clientID = input.clientID
        try await changeOIDC(input.openIDConnectProviderArn, c) { doc in doc.clientIds.removeAll { $0 == clientID } }
        return EmptyShape()
    }

    func updateOpenIDConnectProviderThumbprint(_ input: IAM.UpdateOpenIDConnectProviderThumbprintRequest,
                                               context c: RequestContext) async throws -> EmptyShape {
        let thumbprints = input.thumbprintList
        try Self.checkOIDCLists(clientIds: [], thumbprints: thumbprints)
        try await changeOIDC(input.openIDConnectProviderArn, c) { doc in doc.thumbprints = thumbprints }
        return EmptyShape()
    }
}
