/**
 * Starts a server process (the API on Node or Deno, the hello-world baseline) and waits until it
 * prints `listening on http://<host>:<port>`; stops it with SIGTERM. Used by the benchmark and
 * by the tests that drive a real server.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'

export async function startServerProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
  options: { logFile?: string } = {},
): Promise<{ child: ChildProcess; url: string }> {
  if (options.logFile) return startLoggingToFile(command, args, env, timeoutMs, options.logFile)
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), timeoutMs)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const address = LISTENING.exec(output)
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

const LISTENING = /(?:listening|dev server) on http:\/\/(localhost|[\d.]+|\[[\da-f:]+\]):(\d+)/

/**
 * As `startServerProcess`, with the process's output written to a file: a busy parent that reads a
 * pipe late makes a server that logs every request block on its writes (the benchmark measured that,
 * not the server). A file never pushes back.
 */
async function startLoggingToFile(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
  logFile: string,
): Promise<{ child: ChildProcess; url: string }> {
  const fd = openSync(logFile, 'w')
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const output = readFileSync(logFile, 'utf8')
    const address = LISTENING.exec(output)
    if (address) {
      const host = address[1] === 'localhost' || address[1] === '0.0.0.0' ? '127.0.0.1' : address[1]
      return { child, url: `http://${host === '[::]' ? '[::1]' : host}:${address[2]}` }
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${command} did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export async function stopServerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}
