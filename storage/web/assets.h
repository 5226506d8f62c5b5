/*
 * The files the dashboard serves, compiled in (the Makefile turns
 * storage/web/assets/ into a C file with `xxd -i`): nothing is read from
 * disk at run time, so no request can name a file.
 */
#ifndef TELETRACK_ASSETS_H
#define TELETRACK_ASSETS_H

extern unsigned char	asset_style_css[];
extern unsigned int	asset_style_css_len;
extern unsigned char	asset_app_js[];
extern unsigned int	asset_app_js_len;
extern unsigned char	asset_icon_svg[];
extern unsigned int	asset_icon_svg_len;

#endif
