// A branch-heavy raw program: classifies every byte of the input by a chain
// of range tests (like a tokenizer) and folds the classes into a hash.
typedef unsigned char u8;
typedef unsigned long long u64;

u64 classify(const u8 *data, u64 len)
{
	u64 h = 0x9e3779b9, i;

	for (i = 0; i < len; i++) {
		u8 c = data[i];
		u64 k;

		if (c >= '0' && c <= '9')
			k = 1;
		else if (c >= 'a' && c <= 'z')
			k = 2;
		else if (c >= 'A' && c <= 'Z')
			k = 3;
		else if (c == ' ' || c == '\t' || c == '\n')
			k = 4;
		else if (c < 0x20)
			k = 5;
		else if (c & 0x80)
			k = 6;
		else
			k = 7;
		h = (h ^ k) * 0x100000001b3ULL;
		if (h & 0x8000)
			h ^= h >> 13;
	}
	return h;
}
