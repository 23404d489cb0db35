/**
 * The cloud checks of `winha doctor`, a pure function of the gathered cloud facts and this node's cloud VirtualIPs:
 * IMDSv2, each interface's AWS identity, the region, each IAM action (by DryRun), the source/destination check,
 * and for Azure the probe ports and the load balancer settings the node cannot see.
 */
import type { AwsDoctorFacts, AzureDoctorFacts, CheckResult, CloudDoctorFacts, CloudVipExpectation } from './types.js';

const pass = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'pass', detail });
const fail = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'fail', detail, fix });
const warn = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'warn', detail, fix });

const POLICY_FIX = "the README's Cloud section has the least-privilege policy";

export function cloudChecks(facts: CloudDoctorFacts | undefined, vips: readonly CloudVipExpectation[]): CheckResult[] {
  const aws = vips.filter((v) => v.provider !== 'azureLoadBalancer');
  const azure = vips.filter((v) => v.provider === 'azureLoadBalancer');
  return [...(aws.length > 0 ? awsChecks(facts?.aws, aws) : []), ...(azure.length > 0 ? azureChecks(facts?.azure, azure) : [])];
}

function awsChecks(f: AwsDoctorFacts | undefined, vips: CloudVipExpectation[]): CheckResult[] {
  const title = 'AWS instance metadata (IMDSv2)';
  if (!f) return [fail('aws:metadata', title, 'not gathered', 'run winha doctor again')];
  if (!f.metadata.ok) {
    const e = f.metadata.error;
    return [
      fail(
        'aws:metadata',
        title,
        `${e.code}: ${e.message} (the AWS identity and IAM checks need it and were not run)`,
        'run winha doctor on the EC2 instance itself; enable IMDSv2: aws ec2 modify-instance-metadata-options --instance-id <id> --http-endpoint enabled --http-tokens required',
      ),
    ];
  }
  const out = [pass('aws:metadata', title, `session token granted; instance ${f.metadata.instanceId} in ${f.metadata.region}`)];
  for (const i of f.interfaces) {
    const id = `aws:interface:${i.alias}`;
    const t = `AWS network interface of ${i.alias}`;
    if (i.identity) {
      out.push(
        pass(
          id,
          t,
          `${i.identity.eni} (MAC ${i.mac}, primary ${i.identity.primaryIp}${i.identity.vpcCidr ? `, VPC ${i.identity.vpcCidr}` : ''})`,
        ),
      );
    } else {
      const e = i.error ?? { code: 'Unknown', message: 'not found' };
      out.push(
        fail(
          id,
          t,
          `${e.code}: ${e.message}`,
          `name, in the VirtualIP's interface or nodeInterfaces, the adapter attached to the ENI that should carry the address`,
        ),
      );
    }
  }
  out.push(regionCheck(f.metadata.region, vips));
  out.push(...permissionChecks(f.permissions));
  for (const s of f.sourceDestCheck) {
    const id = `aws:source-dest-check:${s.eni}`;
    const t = `source/destination check off on ${s.eni}`;
    const fix = `aws ec2 modify-network-interface-attribute --network-interface-id ${s.eni} --no-source-dest-check (PowerShell: Edit-EC2NetworkInterfaceAttribute -NetworkInterfaceId ${s.eni} -SourceDestCheck $false)`;
    if (s.error)
      out.push(warn(id, t, `not checked: ${s.error.code}: ${s.error.message}`, 'fix the ec2:DescribeNetworkInterfaces permission first'));
    else if (s.enabled)
      out.push(fail(id, t, `${s.eni} has source/destination checking on: it drops the traffic its awsRouteTable route sends it`, fix));
    else out.push(pass(id, t, 'off: routed traffic for the address reaches this node'));
  }
  return out;
}

function regionCheck(instanceRegion: string, vips: CloudVipExpectation[]): CheckResult {
  const other = vips.filter((v) => v.region !== undefined && v.region !== instanceRegion);
  if (other.length > 0) {
    return fail(
      'aws:region',
      'AWS region',
      `this instance runs in ${instanceRegion}, but ${other.map((v) => `${v.name} names ${v.region}`).join(', ')}: its network interfaces are not there`,
      `remove spec.provider.region (the instance's region is the default) or set it to ${instanceRegion}`,
    );
  }
  const named = vips.some((v) => v.region !== undefined);
  return pass(
    'aws:region',
    'AWS region',
    `${instanceRegion} (${named ? 'spec.provider.region, the instance metadata agrees' : 'from the instance metadata'})`,
  );
}

/** One result per IAM action: fail when any of its DryRuns was denied or could not be sent. */
function permissionChecks(perms: AwsDoctorFacts['permissions']): CheckResult[] {
  const actions = [...new Set(perms.map((p) => p.action))];
  return actions.map((action) => {
    const mine = perms.filter((p) => p.action === action);
    const id = `aws:iam:${action}`;
    const title = `IAM permission ec2:${action}`;
    const on = (ps: typeof mine) => ps.map((p) => `${p.resource} (${p.region})`).join(', ');
    const denied = mine.filter((p) => p.verdict === 'denied');
    if (denied.length > 0) {
      return fail(
        id,
        title,
        `the instance role lacks ec2:${action} on ${on(denied)}: the DryRun answered UnauthorizedOperation`,
        `allow ec2:${action} in the policy of this instance's IAM role (${POLICY_FIX})`,
      );
    }
    const broken = mine.filter((p) => p.verdict === 'error');
    if (broken.length > 0) {
      const e = broken[0]!.error;
      return fail(
        id,
        title,
        `could not tell on ${on(broken)}: ${e?.code ?? 'Unknown'}: ${e?.message ?? 'no answer'}`,
        'attach an IAM role (instance profile) to the instance and check that this node reaches the EC2 API endpoint of the region',
      );
    }
    return pass(id, title, `allowed on ${on(mine)} (DryRun)`);
  });
}

function azureChecks(f: AzureDoctorFacts | undefined, vips: CloudVipExpectation[]): CheckResult[] {
  const out: CheckResult[] = [];
  for (const v of vips.filter((x) => x.probePort === undefined)) {
    out.push(
      fail(
        `azure:probe-port:${v.name}`,
        `Azure probe port of ${v.name}`,
        'spec.provider.probePort is not set',
        'set spec.provider.probePort to the port the load balancer health probe targets',
      ),
    );
  }
  for (const p of f?.probePorts ?? []) {
    const id = `azure:probe-port:${p.port}`;
    const title = `Azure probe port TCP ${p.port} free`;
    out.push(
      p.free
        ? pass(id, title, `free: the agent can answer the load balancer's probe on it while this node is active`)
        : fail(
            id,
            title,
            `TCP ${p.port} is already taken on this node (${p.error ?? 'in use'}): the load balancer would see this node healthy whatever the agent does (unless it is this node's own agent, active now)`,
            `Get-NetTCPConnection -LocalPort ${p.port} -State Listen | Select-Object OwningProcess; stop that program or choose another spec.provider.probePort`,
          ),
    );
  }
  for (const v of vips.filter((x) => x.probePort !== undefined)) {
    out.push({
      id: `azure:lb-rule:${v.name}`,
      title: `Azure load balancer rule for ${v.address}`,
      status: 'info',
      detail: `not visible from the node: the rule for ${v.address} must use floating IP (Direct Server Return) and its health probe must target TCP ${v.probePort}`,
    });
  }
  return out;
}
