/**
 * A deleted branch takes its preview database with it (the workflow's cleanup job):
 * `node --import tsx scripts/deploy/cleanup.ts <branch>`. A database already gone is fine; any other
 * answer of the Turso API (a bad token, a server error) fails the run, so that no database leaks
 * unnoticed (they count toward the plan's quota).
 */
import { runMain } from './run'
import { branchDatabaseName, deleteBranchDatabase, tursoSettings } from './turso'

export async function cleanupBranch(branch: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (!branch) throw new Error('usage: cleanup.ts <branch name>')
  const outcome = await deleteBranchDatabase(tursoSettings(env), branch)
  return `${branchDatabaseName(branch)}: ${outcome === 'deleted' ? 'deleted' : 'already absent'}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMain(async () => console.log(await cleanupBranch(process.argv[2] ?? '', process.env)))
}
