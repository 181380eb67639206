/** Reads a V8 `.cpuprofile` (node --cpu-prof) and ranks functions by self time. */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface HotFunction {
  function: string
  location: string
  selfMs: number
  selfPercent: number
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/')
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length)
  const src = url.lastIndexOf('/src/')
  if (src !== -1) return url.slice(src + 1)
  return url.replace(/^file:\/\//, '') || '(native)'
}

export function topFunctions(path: string, limit = 10): HotFunction[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfMicros = new Map<string, { name: string; location: string; micros: number }>()
  let total = 0
  profile.samples.forEach((nodeId, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    total += delta
    const frame = byNode.get(nodeId)?.callFrame
    if (!frame) return
    const name = frame.functionName || '(anonymous)'
    const location = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '(native)'
    const key = `${name}@${location}`
    const entry = selfMicros.get(key) ?? { name, location, micros: 0 }
    entry.micros += delta
    selfMicros.set(key, entry)
  })
  return [...selfMicros.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, limit)
    .map((entry) => ({
      function: entry.name,
      location: entry.location,
      selfMs: Math.round(entry.micros / 1000),
      selfPercent: Math.round((entry.micros / total) * 1000) / 10,
    }))
}
