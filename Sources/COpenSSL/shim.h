#ifndef THETA_COPENSSL_SHIM_H
#define THETA_COPENSSL_SHIM_H
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#endif
