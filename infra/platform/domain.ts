/**
 * The cohort's host names: `domain.name` for the dashboard and the API, and one host per learner
 * under `domain.labsDomain` (`<learner>.<labsDomain>`). One ACM certificate covers both, `name`
 * plus the wildcard `*.<labsDomain>` as a subject alternative name (unless the cohort brings its
 * own), validated through the cohort's Route 53 zone when it names one; and two DNS records point
 * `name` and `*.<labsDomain>` at the load balancer (without a zone, the instructor adds them by hand).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Domain, labsDomainOf } from "../../schema/cohort";

/**
 * The names the certificate must cover (pure): the dashboard's host, and the wildcard of the
 * labs' hosts. Learner ids are single DNS labels, and a wildcard covers exactly one label.
 */
export function certificateNames(domain: Pick<Domain, "name" | "labsDomain">): [string, string] {
  return [domain.name, `*.${labsDomainOf(domain)}`];
}

/**
 * The names whose ACM validation records labkit writes (pure). ACM validates `*.x` with the
 * record of `x`, so a wildcard over `name` itself needs no record of its own.
 */
export function validationRecordNames(domain: Pick<Domain, "name" | "labsDomain">): string[] {
  const [name, wildcard] = certificateNames(domain);
  return wildcard.slice(2) === name ? [name] : [name, wildcard];
}

/** The certificate ARN to serve (the cohort's, or a new DNS-validated one) as a child of `parent`. */
export function createCertificate(
  name: string,
  domain: Domain,
  tags: Record<string, string>,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  if (domain.certificateArn !== undefined) return pulumi.output(domain.certificateArn);
  const [domainName, wildcard] = certificateNames(domain);
  const certificate = new aws.acm.Certificate(
    `${name}-certificate`,
    { domainName, subjectAlternativeNames: [wildcard], validationMethod: "DNS", tags },
    { parent },
  );
  if (domain.hostedZoneId === undefined) {
    // No zone to write to: `pulumi up` waits here until someone adds the validation CNAMEs that
    // `aws acm describe-certificate` shows to the domain's DNS (docs/deploy.md, "Domain and TLS").
    return new aws.acm.CertificateValidation(`${name}-certificate`, { certificateArn: certificate.arn }, { parent })
      .certificateArn;
  }
  const zoneId = domain.hostedZoneId;
  const records = validationRecordNames(domain).map((validated, index) => {
    // ACM lists one validation option per name of the certificate, in no promised order.
    const option = certificate.domainValidationOptions.apply(
      (options) => options.find((o) => o.domainName === validated) ?? options[index],
    );
    return new aws.route53.Record(
      // The first keeps the name it had when the certificate covered one name.
      index === 0 ? `${name}-certificate-validation` : `${name}-certificate-validation-labs`,
      {
        zoneId,
        name: option.apply((o) => o.resourceRecordName),
        type: option.apply((o) => o.resourceRecordType),
        records: [option.apply((o) => o.resourceRecordValue)],
        ttl: 300,
        allowOverwrite: true,
      },
      { parent },
    );
  });
  const validation = new aws.acm.CertificateValidation(
    `${name}-certificate`,
    { certificateArn: certificate.arn, validationRecordFqdns: records.map((record) => record.fqdn) },
    { parent },
  );
  return validation.certificateArn;
}

/** The DNS records of the cohort's hosts: `name` and `*.<labsDomain>` → the load balancer. */
export interface HostRecords {
  readonly dashboard: aws.route53.Record;
  readonly labs: aws.route53.Record;
}

/**
 * CNAMEs from the dashboard's host and from every lab's host (one wildcard record) to the load
 * balancer, when the cohort names its Route 53 zone.
 */
export function createHostRecords(
  name: string,
  domain: Domain,
  loadBalancerHostname: pulumi.Input<string>,
  parent: pulumi.Resource,
): HostRecords | undefined {
  if (domain.hostedZoneId === undefined) return undefined;
  const [dashboardHost, labsWildcard] = certificateNames(domain);
  const record = (resourceName: string, host: string) =>
    new aws.route53.Record(
      resourceName,
      { zoneId: domain.hostedZoneId as string, name: host, type: "CNAME", ttl: 300, records: [loadBalancerHostname] },
      { parent },
    );
  return { dashboard: record(`${name}-host`, dashboardHost), labs: record(`${name}-labs-host`, labsWildcard) };
}
