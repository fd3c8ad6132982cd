/**
 * First-match lookup of a preset's name rules and fused groups, memoized by name shape.
 *
 * Preset patterns never single out particular layer or expert numbers (they use `\d+`), so the
 * first matching rule depends only on a name with its numeric segments normalized. On a
 * DeepSeek-V4-Pro-sized checkpoint (~150k tensors, ~15 rules) that turns millions of regex
 * tests into about a thousand. User ignore patterns may name specific indices, so they are not
 * cached here.
 */
import type { FusedGroupRule, Preset, Rule } from "./types.ts";

export const DEFAULT_RULE: Rule = {
  name: "default-preserve",
  pattern: /(?:)/,
  category: "other",
  action: "preserve",
  why: "no preset rule matched: kept as is",
};

export interface PresetMatch {
  rule: Rule;
  /** Group key shared by the weights an engine fuses with this one, if any. */
  fusedGroup: string | undefined;
}

export class PresetMatcher {
  private readonly byShape = new Map<string, { rule: Rule; fused: FusedGroupRule | undefined }>();

  constructor(private readonly preset: Preset) {}

  match(name: string): PresetMatch {
    const shape = name.replace(/(^|\.)\d+(?=\.|$)/g, "$10");
    let hit = this.byShape.get(shape);
    if (hit === undefined) {
      hit = {
        rule: this.preset.rules.find((r) => r.pattern.test(name)) ?? DEFAULT_RULE,
        fused: this.preset.fusedGroups.find((g) => g.pattern.test(name)),
      };
      this.byShape.set(shape, hit);
    }
    return {
      rule: hit.rule,
      fusedGroup: hit.fused === undefined ? undefined : name.replace(hit.fused.pattern, hit.fused.groupKey),
    };
  }
}
