package wire

// NonceSize is the length of a registration challenge.
const NonceSize = 32

// proofContext separates dialtone registration signatures from anything
// else the same key might ever sign.
const proofContext = "dialtone/1 registration proof\x00"

// ProofMessage is what a client signs to prove it holds the key for number:
// a fixed context, the number, and the server's nonce.
func ProofMessage(number string, nonce []byte) []byte {
	b := make([]byte, 0, len(proofContext)+len(number)+1+len(nonce))
	b = append(b, proofContext...)
	b = append(b, number...)
	b = append(b, 0)
	return append(b, nonce...)
}
