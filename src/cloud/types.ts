/**
 * What the agent reaches in a cloud: the instance metadata service and the EC2 API, injected so the same code runs
 * against AWS (HTTP to 169.254.169.254 and the SDK's own transport) and against the simulated world.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';

/** The instance metadata service: the text at /latest/<path> (e.g. 'meta-data/mac'), undefined for a 404. */
export interface InstanceMetadata {
  get(path: string, signal?: AbortSignal): Promise<string | undefined>;
}

export interface CloudAccess {
  metadata: InstanceMetadata;
  /** An EC2 client for the region (the SDK's default credential chain on AWS: the instance role). */
  ec2(region: string): EC2Client;
}
