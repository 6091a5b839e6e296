/*
 * gen-djisrt — write a small seeded DJI SRT telemetry file in one of the
 * known styles, for the dji-srt parser's fixtures.
 *
 * usage: gen-djisrt home-gps|single-line|framecnt|framecnt-longtitude|matrice
 *        [seed] > out.SRT
 *
 * Ten blocks; the track starts at 47.376900 N 8.541700 E and walks north-
 * east by seeded steps.  home-gps has block 5 without a fix (GPS(0,0,0));
 * single-line uses CRLF; framecnt starts with a BOM and <font> tags.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBLOCKS 10

static uint32_t rng_state;

static uint32_t
rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 16) & 0x7fff;
}

static void
cue(int i, int step_ms, const char *eol)
{
	int a = i * step_ms, b = (i + 1) * step_ms;

	printf("%d%s%02d:%02d:%02d,%03d --> %02d:%02d:%02d,%03d%s", i + 1, eol,
	       a / 3600000, a / 60000 % 60, a / 1000 % 60, a % 1000,
	       b / 3600000, b / 60000 % 60, b / 1000 % 60, b % 1000, eol);
}

int
main(int argc, char **argv)
{
	const char *style;
	double lat = 47.3769, lon = 8.5417, alt = 1.5;
	int i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gen-djisrt home-gps|single-line|framecnt|"
			"framecnt-longtitude|matrice [seed]\n");
		return 2;
	}
	style = argv[1];
	rng_state = argc == 3 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1;
	if (!strcmp(style, "framecnt"))
		fputs("\xEF\xBB\xBF", stdout);
	for (i = 0; i < NBLOCKS; i++) {
		if (!strcmp(style, "home-gps")) {
			cue(i, 1000, "\n");
			printf("HOME(8.5417,47.3769) 2017.08.05 14:%02d:%02d\n", 11 + (51 + i) / 60,
			       (51 + i) % 60);
			if (i == 4)
				printf("GPS(0.0,0.0,0) BAROMETER:%.1f\n", alt);
			else
				printf("GPS(%.4f,%.4f,16) BAROMETER:%.1f\n", lon, lat, alt);
			printf("ISO:100 Shutter:60 EV: Fnum:2.2\n\n");
		} else if (!strcmp(style, "single-line")) {
			cue(i, 1000, "\r\n");
			printf("F/3.2, SS 160, ISO 100, EV 0, GPS (%.4f, %.4f, 18), D %.2fm, "
			       "H %.2fm, H.S 0.00m/s, V.S 0.00m/s \r\n\r\n", lon, lat, 10.0 + i,
			       alt);
		} else if (!strcmp(style, "framecnt")) {
			cue(i, 33, "\n");
			printf("<font size=\"28\">FrameCnt: %d, DiffTime: 33ms\n"
			       "2019-04-13 14:44:12,%03d,%03d\n"
			       "[iso : 100] [shutter : 1/640.0] [fnum : 280] [ev : 0] "
			       "[ct : 5500] [color_md : default] [focal_len : 240] "
			       "[latitude: %.6f] [longitude: %.6f] [rel_alt: %.3f abs_alt: %.3f] "
			       "</font>\n\n", i + 1, 345 + 33 * i, 100 + i, lat, lon, alt,
			       400.25 + alt);
		} else if (!strcmp(style, "framecnt-longtitude")) {
			cue(i, 40, "\n");
			printf("<font size=\"36\">FrameCnt : %d, DiffTime : 40ms\n"
			       "2020-08-12 08:55:21,%03d,078\n"
			       "[iso : 100] [shutter : 1/4000.0] [fnum : 280] [ev : 0] "
			       "[latitude : %.6f] [longtitude : %.6f] [altitude: %.6f] </font>\n\n",
			       i + 1, 40 * i, lat, lon, 74.5 + alt);
		} else if (!strcmp(style, "matrice")) {
			cue(i, 1000, "\n");
			printf("SrtCnt : %d, DiffTime : 1000ms\n2017.06.04 18:23:%02d\n"
			       "GPS(%.6f,%.6f,%.1fM) ISO:100 Shutter:500 EV:0 Fnum:F2.8\n\n",
			       i + 1, 19 + i, lat, lon, 480.0 + alt);
		} else {
			fprintf(stderr, "gen-djisrt: unknown style '%s'\n", style);
			return 2;
		}
		lat += 0.00001 * (1 + rng() % 5);
		lon += 0.00002 * (1 + rng() % 3);
		alt += 0.5 * (double)(rng() % 4);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen-djisrt: stdout");
		return 1;
	}
	return 0;
}
