import { hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";

export interface Argon2Parameters {
  memoryKib: number;
  iterations: number;
  parallelism: number;
}

/** Argon2id hashing (the library's default algorithm); parameters in docs/adr/0005. */
export function createPasswordHasher(parameters: Argon2Parameters) {
  const options = {
    memoryCost: parameters.memoryKib,
    timeCost: parameters.iterations,
    parallelism: parameters.parallelism,
  };
  // Verifying against this when a user does not exist makes a failed login take
  // as long as one with a wrong password, so timing does not reveal accounts.
  const decoy = hash("auspex-decoy-password", options);

  return {
    hashPassword: (password: string): Promise<string> => hash(password, options),
    verifyPassword: async (passwordHash: string, password: string): Promise<boolean> => {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false;
      }
    },
    burnVerification: async (password: string): Promise<void> => {
      await verify(await decoy, password).catch(() => false);
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;

// ~49k passwords seen most often in breaches (zxcvbn-ts's list), compared case-insensitively.
const COMMON_PASSWORDS = new Set(dictionary["passwords-common"].map((p) => p.toLowerCase()));

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}
