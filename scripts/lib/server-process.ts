/**
 * Starts a server process (the API on Node or Deno, the hello-world baseline) and waits until it
 * prints `listening on http://<host>:<port>`; stops it with SIGTERM. Used by the benchmark and
 * by the tests that drive a real server.
 */
import { type ChildProcess, spawn } from 'node:child_process'

export async function startServerProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), timeoutMs)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const address = /(?:listening|dev server) on http:\/\/(localhost|[\d.]+|\[[\da-f:]+\]):(\d+)/.exec(
        output,
      )
      if (address) {
        clearTimeout(timer)
        // Started: stop keeping its output (a long benchmark would hold every access-log line) but
        // keep reading it, so that the server never blocks on a full pipe.
        child.stdout?.off('data', read)
        child.stderr?.off('data', read)
        child.stdout?.resume()
        child.stderr?.resume()
        const host = address[1] === 'localhost' || address[1] === '0.0.0.0' ? '127.0.0.1' : address[1]
        resolve(`http://${host === '[::]' ? '[::1]' : host}:${address[2]}`)
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}:\n${output}`)))
  })
  return { child, url }
}

export async function stopServerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}
