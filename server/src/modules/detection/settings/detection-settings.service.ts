import { DetectionSettings } from "@auspex/shared/contracts/detection.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import type { DetectionSettingsRepository } from "#server/modules/detection/settings/detection-settings.repository.ts";

interface Deps {
  settings: DetectionSettingsRepository;
  clock: Clock;
  /** Told after a change, so running detectors take the new settings at once. */
  onChange?: (userId: string, settings: DetectionSettings) => void;
}

/** Each user's detection sensitivity and rules per metric family or series. */
export function createDetectionSettingsService({ settings, clock, onChange }: Deps) {
  const parse = (json: string): DetectionSettings => DetectionSettings.parse(JSON.parse(json));

  return {
    async getDetectionSettings(actor: Actor): Promise<DetectionSettings & { updated_at: string | null }> {
      const row = await settings.find(actor.userId);
      return row ? { ...parse(row.settings), updated_at: row.updated_at } : { ...DetectionSettings.parse({}), updated_at: null };
    },

    async putDetectionSettings(actor: Actor, input: DetectionSettings): Promise<DetectionSettings & { updated_at: string }> {
      const updatedAt = clock.now().toISOString();
      await settings.put({ user_id: actor.userId, settings: JSON.stringify(input), updated_at: updatedAt });
      onChange?.(actor.userId, input);
      return { ...input, updated_at: updatedAt };
    },

    /** The user's detection mode (statistical unless set). */
    async getDetectionMode(userId: string): Promise<DetectionSettings["mode"]> {
      const row = await settings.find(userId);
      return row ? parse(row.settings).mode : "statistical";
    },

    /** Every user's settings (the engine loads them at start). */
    async loadAllDetectionSettings(): Promise<Map<string, DetectionSettings>> {
      return new Map((await settings.listAll()).map((row) => [row.user_id, parse(row.settings)]));
    },
  };
}

export type DetectionSettingsService = ReturnType<typeof createDetectionSettingsService>;
