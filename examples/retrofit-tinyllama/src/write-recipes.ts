import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paperRuns } from './paper-recipes.js';

/** The JSON text of a run's recipe file. */
export function recipeText(recipe: Record<string, unknown>): string {
  return `${JSON.stringify(recipe, null, 2)}\n`;
}

/** Writes every paper run's recipe into `dir` (../recipes from dist/). */
export function writeRecipes(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return paperRuns().map((run) => {
    const path = join(dir, `${run.name}.json`);
    writeFileSync(path, recipeText(run.recipe));
    return path;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const written = writeRecipes(process.argv[2] ?? 'recipes');
  console.log(`wrote ${written.length} recipes`);
}
