import Fastify from 'fastify';
import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
export const x = [Fastify, readFileSync, Type];
