import { access } from "node:fs/promises";
import { join } from "node:path";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";

export const DEMO_CHECKPOINT_NAME = "demo-deepseek-v3";

/**
 * A tiny synthetic FP8 DeepSeek-V3 checkpoint (real tensor names and structure, random weights),
 * so that a conversion can be run at once. Generated once; config.json is written last, so its
 * presence means a complete checkpoint.
 */
export async function ensureDemoCheckpoint(
  checkpointsDir: string,
): Promise<{ dir: string; created: boolean }> {
  const dir = join(checkpointsDir, DEMO_CHECKPOINT_NAME);
  const complete = await access(join(dir, "config.json")).then(
    () => true,
    () => false,
  );
  if (!complete) await generateCheckpoint({ family: "deepseek-v3", dir, profile: "tiny", seed: 1 });
  return { dir, created: !complete };
}
