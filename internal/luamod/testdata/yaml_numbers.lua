local yaml = require('yaml')
for _, s in ipairs({'inf', 'nan', 'Inf', ' 1', '1 ', '0X1F', '1e', '-.5', '5.', '0x', '1e+5', '--1', '0x1p4', '1f', ' ', 'infinity', '-inf'}) do io.write(string.format('%q', s), ' ', yaml.encode(s)) end
