import { readFile, writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";

/** Contract addresses remembered per chain, so a restart reuses what the first start deployed. */
export interface Deployments {
  [chain: string]: {
    recordAnchor: string;
    consentRegistry?: string;
    organizationRegistry?: string;
    deployedAt: string;
  };
}

export async function readDeployments(path: string): Promise<Deployments> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Deployments;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
}

export async function writeDeployments(path: string, deployments: Deployments): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(deployments, null, 2)}\n`, { mode: 0o600 });
}
