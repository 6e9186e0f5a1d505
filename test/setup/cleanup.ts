// Every temp dir a test file made is removed when the file's tests are done.
import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/server.ts';

afterAll(() => removeTempDirs());
