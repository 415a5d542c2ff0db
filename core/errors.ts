/** A dependency could not be reached or a resource is taken: main prints the message on one line and exits 1. */
export class StartupError extends Error {}

/** Turns a listen() failure into a one-line StartupError naming the variable to change. */
export function listenError(err: unknown, variable: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new StartupError(`Port ${port} is already in use: set ${variable} to a free port`);
  if (code === 'EACCES') return new StartupError(`Port ${port} needs privileges: set ${variable} to a port above 1023`);
  return err instanceof Error ? err : new Error(String(err));
}
