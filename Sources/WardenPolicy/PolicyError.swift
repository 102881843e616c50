// Every message this module throws, in one file so each can be audited against the AWS text it reproduces.

/// A policy document that did not pass IAM's grammar; `message` is AWS's MalformedPolicyDocument text.
///
/// The size errors (`policySize`, `userPolicySize`, ...) carry AWS's `LimitExceeded` texts instead: callers that
/// run `Policy.checkSize` answer them with `LimitExceeded` (HTTP 409), not `MalformedPolicyDocument`.
public struct PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

// Each text names where AWS's wording was seen. "moto" means getmoto/moto `moto/iam/policy_validation.py`, whose
// messages were written against IAM's responses; it is the best public record of IAM's validator we found.
extension PolicyError {
    // MARK: Document syntax (IAM)

    /// boto/boto3#180, aws-cloudformation/cfn-lint#3751: not JSON, unknown fields, wrong types, bad Version, a
    /// condition without an operator.
    public static let syntax = PolicyError("Syntax errors in policy.")

    /// hashicorp/terraform#10057 (`"Effect": "allow"`), Graylog2/graylog-plugin-aws#172 (a resource that is not an
    /// ARN); moto raises it for an Effect in the wrong case, an unparseable date in a Date condition and a resource
    /// IAM's old parser cannot split.
    public static let legacyParsing = PolicyError("The policy failed legacy parsing")

    /// Meteor-Community-Packages/Meteor-CollectionFS#630 (CreatePolicy without a Version). Not thrown by
    /// `Policy.init`, which accepts 2008-10-17; see `Policy.requireCurrentVersion()`.
    public static let versionTooOld = PolicyError("Policy document must be version 2012-10-17 or greater.")

    /// hashicorp/terraform-provider-aws#10419, ember-cli-deploy/ember-cli-deploy-s3#65: an identity-based policy
    /// (and a boundary or session policy) naming Principal or NotPrincipal.
    public static let principalNotAllowed = PolicyError("Policy document should not specify a principal.")

    /// kubernetes/kops#4951.
    public static let sidNotUnique = PolicyError("Statement IDs (SID) in a single policy must be unique.")

    /// Wolox/carthage_cache#22, aws-cloudformation/cfn-lint#1376. IAM's own documents only: S3 and KMS accept
    /// spaces in a Sid (thinkinglabs/aws-iam-policy#5).
    public static let sidNotAlphanumeric = PolicyError(
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")

    /// aws/aws-cdk#7615.
    public static let mustContainActions = PolicyError("Policy statement must contain actions.")

    /// trussworks/terraform-aws-s3-anti-virus#28, aws-samples/aws-health-aware#1.
    public static let mustContainResources = PolicyError("Policy statement must contain resources.")

    // MARK: Actions and condition keys

    /// garnaat/kappa#111.
    public static let oneColon = PolicyError("Actions/Condition can contain only one colon.")

    /// moto.
    public static let needsVendor = PolicyError(
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")

    /// moto: a vendor with characters outside `[a-zA-Z0-9-.]`.
    public static func vendorNotValid(_ vendor: String) -> PolicyError { PolicyError("Vendor \(vendor) is not valid") }

    /// boogy/iam-policy-validator#172 quotes IAM rejecting `*:Untag*` with this text.
    public static let vendorWildcard = PolicyError("Action vendors (e.g., aws, ec2, etc.) must not contain wildcards")

    /// getmoto/moto#5750 shows moto's text for a trust policy action outside STS. IAM today also accepts
    /// sts:TagSession and sts:SetSourceIdentity, which this module allows; the sentence is kept as moto has it.
    public static let trustPolicyActions = PolicyError(
        "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML, and sts:AssumeRoleWithWebIdentity")

    // MARK: Resources

    /// ministryofjustice/modernisation-platform-environments#590.
    public static func resourceNotARN(_ resource: String) -> PolicyError {
        PolicyError("Resource \(resource) must be in ARN format or \"*\".")
    }

    /// moto.
    public static func partitionNotValid(_ partition: String, _ rest: String) -> PolicyError {
        PolicyError("Partition \"\(partition)\" is not valid for resource \"arn:\(partition):\(rest)\".")
    }

    /// moto.
    public static let resourceVendor = PolicyError("Resource vendor must be fully qualified and cannot contain regexes.")

    /// moto.
    public static func iamResourceRegion(_ resource: String) -> PolicyError {
        PolicyError("IAM resource \(resource) cannot contain region information.")
    }

    /// moto.
    public static func s3ResourceRegion(_ resource: String) -> PolicyError {
        PolicyError("Resource \(resource) can not contain region information.")
    }

    /// moto.
    public static let iamResourcePath = PolicyError(
        "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, "
            + "mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.")

    /// arithmetric/aws-lambda-ses-forwarder#31 and hashicorp/terraform#4730 show the pattern for Principal; it is
    /// used here for Resource and NotResource in a role trust policy.
    // AWS's text for this case is not known: the Resource wording is inferred from the Principal one.
    public static func prohibitedField(_ field: String) -> PolicyError { PolicyError("Has prohibited field \(field)") }

    // MARK: Principals (resource-based and trust policies)

    /// humanmade/S3-Uploads#191 (S3): a resource-based or trust policy statement without Principal/NotPrincipal.
    public static let missingPrincipal = PolicyError("Missing required field Principal")

    /// versity/versitygw#1176 reproduces S3's "Missing required field Statement"; used for resource-based policies
    /// missing Statement, Effect or Action, as S3 words them.
    public static func missingField(_ field: String) -> PolicyError { PolicyError("Missing required field \(field)") }

    /// versity/versitygw#647 reproduces S3's text for an Effect other than Allow/Deny in a bucket policy.
    public static func invalidEffect(_ effect: String) -> PolicyError { PolicyError("Invalid effect: \(effect)") }

    /// opstrace/opstrace#88, databrickslabs/ucx#2269 (IAM trust policies).
    public static func invalidPrincipal(_ type: String, _ value: String) -> PolicyError {
        PolicyError("Invalid principal in policy: \"\(type)\":\"\(value)\"")
    }

    /// versity/versitygw#649, cloud-custodian/cloud-custodian#4948 (S3): a Principal that is neither "*" nor an
    /// object, so there is no type to quote.
    public static let invalidPrincipalPlain = PolicyError("Invalid principal in policy")

    // MARK: Sizes (LimitExceeded, 409)

    /// ministryofjustice/cloud-platform-environments#14473, docker/docs#4685.
    public static func policySize(_ limit: Int) -> PolicyError { PolicyError("Cannot exceed quota for PolicySize: \(limit)") }

    /// ministryofjustice/cloud-platform-environments#5303.
    public static func userPolicySize(_ user: String) -> PolicyError {
        PolicyError("Maximum policy size of 2048 bytes exceeded for user \(user)")
    }

    /// aws/aws-cdk#12403, serverless/serverless#7643.
    public static func rolePolicySize(_ role: String) -> PolicyError {
        PolicyError("Maximum policy size of 10240 bytes exceeded for role \(role)")
    }

    /// HumanCellAtlas/data-store#1963.
    public static func groupPolicySize(_ group: String) -> PolicyError {
        PolicyError("Maximum policy size of 5120 bytes exceeded for group \(group)")
    }

    // AWS's text for this case is not known: no public record of the trust policy quota error was found; this
    // follows the "Cannot exceed quota for NAME: N" form of the other IAM quotas.
    public static let trustPolicySize = PolicyError("Cannot exceed quota for ACLSizePerRole: 2048")
}
