// Streamtap's settings, defined once: what the Settings view edits, what settings.get
// and settings.set carry, what the settings file holds (every key optional there: a
// missing key keeps its default) and the core's Timeouts and Limits. Validated with
// zod wherever settings cross a door (IPC, HTTP, the file); types inferred from it.

import { z } from 'zod';

const positiveMs = z.number().int().positive();

export const TimeoutsSchema = z
  .object({
    /** ms to wait for upstream response headers (reasoning models think for minutes) */
    headersMs: positiveMs,
    /** ms without any body byte (mid-stream, or in a request body) before giving up */
    idleMs: positiveMs,
    /** ms to establish the TCP/TLS connection */
    connectMs: positiveMs,
  })
  .strict();
export type Timeouts = z.infer<typeof TimeoutsSchema>;

export const LimitsSchema = z
  .object({
    /** max bytes of a request body kept in the record (the whole body is always forwarded) */
    requestBodyBytes: z.number().int().min(1024),
    /** max bytes of a non-stream response body kept */
    responseBodyBytes: z.number().int().min(1024),
    /** max characters kept for reassembled text / reasoning */
    textChars: z.number().int().min(1024),
    /** max bytes of raw SSE event data kept per request */
    eventBytes: z.number().int().min(1024),
    /** max number of raw events kept per request */
    eventCount: z.number().int().min(10),
  })
  .strict();
export type Limits = z.infer<typeof LimitsSchema>;

const port = z.number().int().min(1).max(65535);
/** upstream name → base URL (the URL itself is checked by the core: scheme, no userinfo) */
const upstreams = z.record(z.string().max(64), z.string().max(2000));
/** records older than this many days are deleted (0 = keep forever) */
const retentionDays = z.number().int().min(0);
/** the oldest records are deleted while the database (file + WAL) is larger than this
 * many MiB (0 = no limit) */
const retentionMaxMiB = z.number().int().min(0);

/** Every setting, as the Settings view edits them and settings.get/set carry them. */
export const SettingsSchema = z.object({ port, upstreams, timeouts: TimeoutsSchema, limits: LimitsSchema, retentionDays, retentionMaxMiB }).strict();
export type Settings = z.infer<typeof SettingsSchema>;

/** The settings file: the same settings, each optional. */
export const SettingsFileSchema = z
  .object({
    port: port.optional(),
    upstreams: upstreams.optional(),
    timeouts: TimeoutsSchema.partial().optional(),
    limits: LimitsSchema.partial().optional(),
    retentionDays: retentionDays.optional(),
    retentionMaxMiB: retentionMaxMiB.optional(),
  })
  .strict();
export type SettingsFile = z.infer<typeof SettingsFileSchema>;
