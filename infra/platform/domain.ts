/**
 * The cohort's host name: an ACM certificate for it (unless the cohort brings one), validated
 * through its Route 53 zone when the cohort names one, and a DNS record pointing the name at the
 * load balancer (without a zone, the instructor adds both records by hand).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Cohort } from "../../schema/cohort";

type Domain = NonNullable<Cohort["domain"]>;

/** The certificate ARN to serve (the cohort's, or a new DNS-validated one) as a child of `parent`. */
export function createCertificate(
  name: string,
  domain: Domain,
  tags: Record<string, string>,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  if (domain.certificateArn !== undefined) return pulumi.output(domain.certificateArn);
  const certificate = new aws.acm.Certificate(
    `${name}-certificate`,
    { domainName: domain.name, validationMethod: "DNS", tags },
    { parent },
  );
  if (domain.hostedZoneId === undefined) {
    // No zone to write to: `pulumi up` waits here until someone adds the validation CNAME that
    // `aws acm describe-certificate` shows to the domain's DNS (docs/deploy.md, "Domain and TLS").
    return new aws.acm.CertificateValidation(`${name}-certificate`, { certificateArn: certificate.arn }, { parent })
      .certificateArn;
  }
  const option = certificate.domainValidationOptions.apply((options) => options[0]);
  const record = new aws.route53.Record(
    `${name}-certificate-validation`,
    {
      zoneId: domain.hostedZoneId,
      name: option.apply((o) => o.resourceRecordName),
      type: option.apply((o) => o.resourceRecordType),
      records: [option.apply((o) => o.resourceRecordValue)],
      ttl: 300,
      allowOverwrite: true,
    },
    { parent },
  );
  const validation = new aws.acm.CertificateValidation(
    `${name}-certificate`,
    { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
    { parent },
  );
  return validation.certificateArn;
}

/** A CNAME from the cohort's host name to the load balancer, when the cohort names its Route 53 zone. */
export function createHostRecord(
  name: string,
  domain: Domain,
  loadBalancerHostname: pulumi.Input<string>,
  parent: pulumi.Resource,
): aws.route53.Record | undefined {
  if (domain.hostedZoneId === undefined) return undefined;
  return new aws.route53.Record(
    `${name}-host`,
    { zoneId: domain.hostedZoneId, name: domain.name, type: "CNAME", ttl: 300, records: [loadBalancerHostname] },
    { parent },
  );
}
