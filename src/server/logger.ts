/** Log sink: one line per event; never handed secrets or clinical content. */
export type Logger = (level: "debug" | "info" | "warn" | "error", message: string) => void;

const ORDER = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** Console logger with a minimum level, timestamped, to stderr for warnings and errors. */
export function consoleLogger(minimum: keyof typeof ORDER): Logger {
  return (level, message) => {
    if (ORDER[level] < ORDER[minimum]) return;
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
    if (ORDER[level] >= ORDER.warn) console.error(line);
    else console.log(line);
  };
}
