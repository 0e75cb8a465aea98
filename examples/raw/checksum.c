// Internet checksum (RFC 1071) over a raw memory region: r1 = data, r2 = length.
// A loop-heavy raw program: the README's first example and an interpreter benchmark.
typedef unsigned char u8;
typedef unsigned long long u64;

u64 checksum(const u8 *data, u64 len)
{
	u64 sum = 0;
	u64 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += ((u64)data[i] << 8) | data[i + 1];
	if (len & 1)
		sum += (u64)data[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}
