/**
 * The real CloudAccess on an EC2 instance: IMDSv2 at 169.254.169.254 and one EC2 client per region, on the SDK's
 * default credential chain (the instance role). Credentials never come from manifests.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Clock } from '../../lib/clock.js';
import type { CloudAccess, InstanceMetadata } from '../types.js';
import { HttpInstanceMetadata } from './imds.js';
import { createEc2Client, type Ec2ClientOptions } from './mover.js';

export interface AwsCloudAccessOptions {
  clock: Clock;
  /** Only for tests: another metadata service (default: HttpInstanceMetadata at 169.254.169.254). */
  metadata?: InstanceMetadata;
  /** Only for tests: a loopback EC2 endpoint and fake credentials. */
  ec2?: Omit<Ec2ClientOptions, 'region'>;
}

export interface AwsCloudAccess extends CloudAccess {
  /** Release the EC2 clients' sockets (a CLI command that ends calls it). */
  close(): void;
}

export function awsCloudAccess(o: AwsCloudAccessOptions): AwsCloudAccess {
  const metadata = o.metadata ?? new HttpInstanceMetadata({ clock: o.clock });
  const clients = new Map<string, EC2Client>();
  return {
    metadata,
    ec2(region: string): EC2Client {
      let c = clients.get(region);
      if (!c) {
        c = createEc2Client({ ...o.ec2, region });
        clients.set(region, c);
      }
      return c;
    },
    close() {
      for (const c of clients.values()) c.destroy();
      clients.clear();
    },
  };
}
